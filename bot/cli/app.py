"""The ``preflight`` command line: one Typer app, each command group registered by its module.

Command modules are imported only when their command runs (or when help lists every command):
:data:`COMMAND_MODULES` names the ``bot`` module behind each command, so ``preflight
understand`` never pays for the simulator, the deployment stack or the knowledge-base tools.
Command groups of the other entry-point package (``ingest``), which ``bot`` must not import,
are found through the ``preflight.commands`` entry-point group, loaded when a command is not a
``bot`` one. Heavy libraries (torch, Qdrant) are imported inside commands, never here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

import typer
from typer import _click as click  # the click Typer vendors and builds commands with
from typer.core import TyperGroup

# Command name → the bot module whose ``register(app)`` adds it, in registration order.
COMMAND_MODULES: dict[str, str] = {
    "kb": "bot.cli.kb_commands",
    "simulate": "bot.cli.simulate_commands",
    "chat": "bot.cli.chat_command",
    "deploy": "bot.cli.deploy_commands",
    "audit": "bot.cli.deploy_commands",
    "understand": "bot.cli.understand_command",
    "recommend": "bot.cli.recommend_command",
    "models": "bot.cli.model_commands",
    "serve": "bot.cli.serve_command",
}
Register = Callable[[typer.Typer], None]


def _commands(register: Register) -> dict[str, click.Command]:
    """The click commands a module's ``register(app)`` adds."""
    scratch = typer.Typer(add_completion=False)
    register(scratch)
    return dict(typer.main.get_group(scratch).commands)


def _module_register(module: str) -> Register:
    register: Register = importlib.import_module(module).register
    return register


class LazyCommands(TyperGroup):
    """The root group: imports a command's module the first time the command is asked for."""

    def _add_from(self, register: Register) -> None:
        for name, command in _commands(register).items():
            self.commands.setdefault(name, command)

    def _load(self, name: str) -> None:
        module = COMMAND_MODULES.get(name)
        if module is not None:
            self._add_from(_module_register(module))
            return
        for entry in entry_points(group="preflight.commands"):
            self._add_from(entry.load())

    def _load_all(self) -> None:
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            self._add_from(_module_register(module))
        for entry in entry_points(group="preflight.commands"):
            self._add_from(entry.load())

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command: plain commands first, then groups, each in registration order.

        Args:
            ctx: The click context.

        Returns:
            Command names.
        """
        self._load_all()
        order = {name: i for i, name in enumerate(COMMAND_MODULES)}
        names = list(self.commands)
        return sorted(
            names,
            key=lambda n: (
                isinstance(self.commands[n], TyperGroup),
                order.get(n, len(order)),
                names.index(n),
            ),
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called ``cmd_name``, importing its module on first use.

        Args:
            ctx: The click context.
            cmd_name: The command's name.

        Returns:
            The command, or None when there is none by that name.
        """
        if cmd_name not in self.commands:
            self._load(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="preflight",
    cls=LazyCommands,
    help="Preflight: from a plain-words need to a measured, approved, deployed LLM endpoint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Preflight's commands (the help above says what each does)."""


def main() -> None:
    """Run the ``preflight`` command."""
    app()
