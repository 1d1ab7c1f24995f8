"""Read which repository commit each benchmark source was extracted at, from ``SOURCES.md``.

Sections look like ``## <source_id> — title`` followed by a bullet ``repo `owner/name` @ `sha```
or ``same repo/commit`` (inherits the section above). This module only parses text.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"^##\s+(\S+)\s+—")
_REPO_AT = re.compile(r"repo\s+`([^`]+)`\s*@\s*`([0-9a-f]{7,40})")
_REPO = re.compile(r"repo\s+`([^`]+)`")


def parse_source_commits(text: str) -> dict[str, str]:
    """Source id → "owner/repo@commit" (or "owner/repo" when no commit is named).

    Args:
        text: The contents of a SOURCES.md file.

    Returns:
        The mapping; sources without a repository line are absent.
    """
    commits: dict[str, str] = {}
    current: str | None = None
    previous = ""
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            current = section.group(1)
            continue
        if current is None or current in commits:
            continue
        repo_at = _REPO_AT.search(line)
        repo = _REPO.search(line)
        if repo_at:
            commits[current] = f"{repo_at.group(1)}@{repo_at.group(2)}"
        elif "same repo/commit" in line and previous:
            commits[current] = previous
        elif repo:
            commits[current] = repo.group(1)
        previous = commits.get(current, previous)
    return commits


def read_source_commits(path: Path) -> dict[str, str]:
    """Read a SOURCES.md file; an absent file gives no commits.

    Args:
        path: The SOURCES.md file.

    Returns:
        Source id → "owner/repo@commit".
    """
    if not path.exists():
        return {}
    return parse_source_commits(path.read_text(encoding="utf-8"))
