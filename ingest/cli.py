"""``preflight ingest``: read benchmark files into the knowledge base (registered by entry point)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ingest command to ``app``.

    Args:
        app: The root Typer app.
    """
