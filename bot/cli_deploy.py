"""Command group of the preflight CLI (registered by bot.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``.

    Args:
        app: The root Typer app.
    """
