"""``preflight understand "TEXT" [--json]``: what Preflight reads from a message.

With ``--json`` it prints the ``Requirements`` exactly in the evaluation schema (every field,
null or [] where the text states nothing). The configured LLM endpoint is used only when one is
set (``PREFLIGHT_LLM__URL``) and ``--no-llm`` is not given. What could not be placed (an
unknown GPU or model, with the closest known names) is printed as "Not understood" lines (to
stderr with ``--json``, so the JSON stays exactly the schema). This command must stay light: no
Qdrant and no matplotlib are imported on its path, and the MiniLM task classifier loads only for
a message whose task the rules cannot name (target: an answer within 1.5 s of process start).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bot.understanding.reader import RequirementsExtractor


def _extractor(use_llm: bool) -> RequirementsExtractor | None:
    if not use_llm:
        return None
    from bot.settings import load_settings

    settings = load_settings()
    if not settings.llm.url:
        return None
    from bot.understanding.llm_client import LlmClient

    return LlmClient(settings.llm)


def understand_command(
    text: str = typer.Argument(..., help="The message, e.g. 'chatbot for 5k users on A100s'."),
    as_json: bool = typer.Option(False, "--json", help="Print the requirements as JSON."),
    use_llm: bool = typer.Option(
        True, "--llm/--no-llm", help="Let the configured LLM endpoint fill gaps (if one is set)."
    ),
) -> None:
    """Show the requirements Preflight understands from TEXT."""
    from bot.understanding.reader import understand_message  # imported here: other commands skip it

    understood = understand_message(text, extractor=_extractor(use_llm))
    values = understood.requirements.model_dump(mode="json")
    for note in understood.unplaced:
        typer.echo(f"Not understood: {note}", err=as_json)
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    if not understood.stated and understood.unplaced:
        return
    if not understood.stated:
        typer.echo(
            "I could not find a requirement in that. Try e.g. 'a support chatbot for 2k "
            "employees, answers must start within 1 s, A100s only, under $10k a month'."
        )
        return
    for name in sorted(understood.stated, key=list(values).index):
        source = " (from the LLM)" if name in understood.suggested else ""
        typer.echo(f"{name}: {json.dumps(values[name])}{source}")


def register(app: typer.Typer) -> None:
    """Add ``understand`` to the root app.

    Args:
        app: The root Typer app.
    """
    app.command("understand")(understand_command)
