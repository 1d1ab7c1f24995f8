"""How every ``preflight`` command ends on an error: one line (and a hint) on stderr, one exit code.

Exit 2: the input or the settings cannot be used. Exit 3: a backend (Redis, Qdrant, the cluster)
did not answer — trying again later may work. Commands catch Preflight's own errors only.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from domain.errors import BackendUnavailableError, PreflightError

USAGE_ERROR = 2
UNAVAILABLE = 3


def fail(exc: PreflightError) -> typer.Exit:
    """Print ``exc`` for a person and return the exit that ends the command.

    Args:
        exc: The error that stops the command.

    Returns:
        ``typer.Exit`` with 3 for an unavailable backend, else 2 (raise it ``from exc``).
    """
    Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
    return typer.Exit(UNAVAILABLE if isinstance(exc, BackendUnavailableError) else USAGE_ERROR)
