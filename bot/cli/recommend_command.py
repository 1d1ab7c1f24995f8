"""``preflight recommend``: requirements (a JSON file or a chat message) → ranked options.

``--json`` prints exactly one JSON object (``Recommendation.model_dump(mode="json")``);
otherwise a table. Bad input gets a one-line message and exit code 2, never a traceback.
The understanding module (and anything heavy) is imported inside the command only, so the
command starts fast; this module holds no state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.errors import fail
from domain.catalog import ModelSpec
from domain.errors import PreflightError
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements

_HELP = (
    "Recommend model, GPU and vLLM settings that hold the SLOs, ranked and explained. "
    "Give --requirements FILE.json (the Requirements schema) or a message in quotes."
)


def _requirements(
    text: str | None, path: Path | None, models: Mapping[str, ModelSpec]
) -> Requirements:
    from recommend.inputs import read_requirements

    if path is not None:
        return read_requirements(path, models)
    if not text or not text.strip():
        raise typer.BadParameter("give --requirements FILE.json or a message in quotes")
    from bot.understanding.reader import understand

    understood: Requirements = understand(text, models=models)
    return understood


def _layout(option: RecommendedOption) -> str:
    """GPUs per replica × replicas ("8×18"), or the parallelism when it is more than TP
    ("DP 8 + EP + MTP ×6", a prefill pool as "+5 prefill")."""
    if (
        option.serving_args.data_parallel_size == 1
        and option.serving_args.speculative_config is None
    ):
        cell = f"{option.tensor_parallel}×{option.replicas}"
    else:
        cell = f"{option.parallelism} ×{option.replicas}"
    if option.prefill is not None:
        cell += f" +{option.prefill.replicas} prefill"
    return cell


def _render(recommendation: Recommendation, console: Console) -> None:
    if not recommendation.options:
        console.print(f"[bold red]Nothing fits.[/] {recommendation.why_nothing_fits or ''}")
        for miss in recommendation.closest:
            console.print(f"  • {miss.what}: {miss.change}")
    else:
        table = Table(title="Recommended options")
        for column in (
            "#",
            "model",
            "GPU",
            "prec",
            "TP×rep",
            "$/month",
            "TTFT p95",
            "ITL p95",
            "SLO",
        ):
            table.add_column(column)
        for number, option in enumerate(recommendation.options, 1):
            table.add_row(
                str(number),
                option.model,
                option.gpu,
                option.precision,
                _layout(option),
                "no price"
                if option.monthly_cost_usd is None
                else f"{option.monthly_cost_usd:,.0f}",
                f"{option.predicted.ttft_ms_p95:,.0f} ms",
                f"{option.predicted.itl_ms_p95:,.1f} ms",
                "yes" if option.meets_slo else "no",
            )
        console.print(table)
        for reason in recommendation.options[0].reasons:
            console.print(f"  • {reason}")
    for assumption in recommendation.assumptions:
        console.print(f"[dim]assumed: {assumption}[/]")
    for found in recommendation.retrieved:
        console.print(f"[dim]knowledge base: {found.summary}[/]")


def recommend_command(
    text: Annotated[
        str | None, typer.Argument(help="Requirements in plain words (instead of a file).")
    ] = None,
    requirements: Annotated[
        Path | None,
        typer.Option("--requirements", "-r", help="JSON file in the Requirements schema."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=20, help="Options to return at most.")] = 5,
    retrieval: Annotated[
        bool,
        typer.Option(
            "--retrieval/--no-retrieval",
            help="Consult the knowledge base (when built) for similar deployments and runs.",
        ),
    ] = True,
) -> None:
    """Recommend model, GPU and vLLM settings that hold the SLOs, ranked and explained.

    Args:
        text: Requirements in plain words (instead of a file).
        requirements: A JSON file in the Requirements schema.
        as_json: Print one JSON object instead of a table.
        limit: Options to return at most.
        retrieval: Consult the knowledge base when one is built or configured.
    """
    from bot.deploy_wiring import deploy_check, serving_techniques
    from bot.settings import load_settings
    from bot.wiring import build_model_lookup, build_retriever, engine_versions
    from recommend.context import default_context
    from recommend.engine import recommend

    try:
        settings = load_settings()
        context = default_context(
            price_file=settings.knowledge.price_file,
            inventory_file=settings.knowledge.inventory_file,
            price_basis=settings.knowledge.price_basis,
            data_dir=settings.data_dir,
            retriever=build_retriever(settings) if retrieval else None,
            model_lookup=build_model_lookup(settings),
            deploy_check=deploy_check(settings),
            engine_versions=engine_versions(settings),
            serving_techniques=serving_techniques(settings),
        )
        wanted = _requirements(text, requirements, context.models)
        answer = recommend(wanted, context=context, limit=limit)
    except PreflightError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json")))
    else:
        _render(answer, Console())


def register(app: typer.Typer) -> None:
    """Add ``preflight recommend`` to ``app``.

    Args:
        app: The root Typer app.
    """
    app.command("recommend", help=_HELP)(recommend_command)
