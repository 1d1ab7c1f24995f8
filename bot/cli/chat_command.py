"""``preflight chat``: the whole conversation in a terminal (typed or piped input).

Builds the settings once, wires the flow with ``bot.wiring`` (in-process state unless
``PREFLIGHT_STATE__REDIS_URL`` is set) and hands the terminal to ``bot.channels.terminal``.
Heavy modules are imported inside the command so other commands start fast.
"""

from __future__ import annotations

import getpass
import sys
import uuid

import typer

from domain.errors import ConfigurationError


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``.

    Args:
        app: The root Typer app.
    """
    app.command("chat")(chat)


def chat(
    thread: str = typer.Option("", "--thread", help="Continue this thread (default: a new one)."),
    user: str = typer.Option("", "--user", help="Who is typing (default: the OS user)."),
) -> None:
    """Talk to Preflight in the terminal; pipe lines in to script a conversation."""
    from rich.console import Console

    from bot.channels.terminal import TerminalChannel, typed_lines
    from bot.settings import load_settings
    from bot.wiring import build_flow

    console = Console(width=None if sys.stdout.isatty() else 140)
    try:
        settings = load_settings()
        flow = build_flow(settings)
    except ConfigurationError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    thread_id = thread or f"terminal:{uuid.uuid4().hex[:12]}"
    channel = TerminalChannel(
        flow=flow,
        console=console,
        thread=thread_id,
        user=user or _os_user(),
        image_dir=settings.data_dir / "charts",
    )
    interactive = sys.stdin.isatty()
    if interactive:
        console.print(
            f"Preflight — thread [bold]{thread_id}[/bold]. Say what you need; "
            "numbers pick buttons; Ctrl-D or 'quit' ends."
        )
    lines = typed_lines(console) if interactive else sys.stdin
    channel.run(lines, echo=not interactive)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "terminal"
