"""The ``preflight`` command line: one Typer app, each command group registered by its module.

Command groups of the ``bot`` package are imported directly; groups of the other entry-point
package (``ingest``), which ``bot`` must not import, are found through the ``preflight.commands``
entry-point group. Heavy libraries (torch, Qdrant) are imported inside commands, never here, so
commands that need no embeddings start fast.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from bot import (
    cli_deploy,
    cli_kb,
    cli_recommend,
    cli_serve,
    cli_simulate,
    cli_talk,
    cli_understand,
)

app = typer.Typer(
    name="preflight",
    help="Preflight: from a plain-words need to a measured, approved, deployed LLM endpoint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    cli_kb,
    cli_simulate,
    cli_talk,
    cli_deploy,
    cli_understand,
    cli_recommend,
    cli_serve,
):
    module.register(app)

for entry in entry_points(group="preflight.commands"):
    entry.load()(app)


def main() -> None:
    """Run the ``preflight`` command."""
    app()
