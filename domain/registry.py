"""Models read from a model registry: the id a team names, and where each derived fact came from.

A team may name any model as ``org/name[@revision]``. :class:`ModelRef` is that id, checked
against the Hugging Face Hub's rules for repository names; :class:`RegistryOrigin` says which
registry and commit a :class:`~domain.catalog.ModelSpec` was read from, whether the repository is
gated, and, field by field, where each figure of the spec came from (:class:`FieldSource`).

This module must not import anything of Preflight's own beyond ``domain``.
"""

from __future__ import annotations

import re

from pydantic import Field

from domain.base import Frozen
from domain.errors import InvalidInputError

# Hub repository names: letters, digits, '-', '_', '.', at most 96 characters, no '--' or '..'
# (huggingface_hub.utils._validators.validate_repo_id encodes the same rule).
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REF = re.compile(rf"(?P<org>{_PART})/(?P<name>{_PART})(?:@(?P<revision>[A-Za-z0-9][\w./-]*))?")


class ModelRef(Frozen):
    """A model id as a team names it: ``org/name`` and, optionally, ``@revision``."""

    org: str = Field(description="Owner of the repository (user or organisation).")
    name: str = Field(description="Repository name.")
    revision: str | None = Field(
        default=None, description="Branch, tag or commit; None means the default branch."
    )

    @property
    def repo_id(self) -> str:
        """``org/name``, as registries address the repository."""
        return f"{self.org}/{self.name}"

    @property
    def text(self) -> str:
        """The id as written: ``org/name`` or ``org/name@revision``."""
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Read ``org/name[@revision]``.

        Args:
            text: The id as given.

        Returns:
            The reference.

        Raises:
            InvalidInputError: When the text is not a repository id.
        """
        found = cls.maybe(text)
        if found is None:
            raise InvalidInputError(
                f"{text.strip()!r} is not a model id",
                hint="name a model as org/name or org/name@revision, e.g. Qwen/Qwen3-8B",
            )
        return found

    @classmethod
    def maybe(cls, text: str) -> ModelRef | None:
        """Read ``org/name[@revision]``, or None when the text is no repository id.

        Args:
            text: The id as given.

        Returns:
            The reference, or None.
        """
        match = _REF.fullmatch(text.strip())
        if match is None or any(".." in part or "--" in part for part in match.groups() if part):
            return None
        return cls(org=match["org"], name=match["name"], revision=match["revision"])


class FieldSource(Frozen):
    """Where one figure of a model spec comes from."""

    field: str = Field(description="The ModelSpec field, e.g. 'kv_heads'.")
    source: str = Field(description="The config key it was read from, or how it was computed.")


class RegistryOrigin(Frozen):
    """Which registry, repository and commit a model spec was read from, and how."""

    registry: str = Field(description="Registry endpoint (no credentials), e.g. the Hub's URL.")
    repo_id: str = Field(description="Repository id, ``org/name``.")
    revision: str | None = Field(default=None, description="Revision asked for, if any.")
    commit: str = Field(description="Commit the files were read at.")
    gated: bool = Field(default=False, description="The repository asks users to accept terms.")
    fetched_at: str = Field(description="When it was read (ISO 8601, UTC).")
    fields: tuple[FieldSource, ...] = Field(default=(), description="Where each figure came from.")

    @property
    def label(self) -> str:
        """``org/name@commit`` with the commit shortened to 12 characters."""
        return f"{self.repo_id}@{self.commit[:12]}"

    def source_of(self, field: str) -> str | None:
        """Where one field came from.

        Args:
            field: A ModelSpec field name.

        Returns:
            Its source, or None when the field was not derived.
        """
        return next((item.source for item in self.fields if item.field == field), None)
