"""``preflight models``: look up, list and refresh models read from a model registry.

``show`` reads one ``org/name[@revision]`` (from the cache in the data directory, else from the
registry the settings name) and prints every derived figure with where it came from; ``list``
prints the cached ones; ``refresh`` reads them again from the registry. Registered by
:mod:`bot.cli.app`; the registry client is imported inside the commands only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.errors import fail
from domain.catalog import ModelSpec
from domain.errors import PreflightError
from knowledge.model_config import ARCHITECTURE_FIELDS

if TYPE_CHECKING:
    from knowledge.model_registry import RegistryCatalog

models_app = typer.Typer(help="Models outside the curated catalog, read from a model registry.")
_SHOWN = (*ARCHITECTURE_FIELDS, "native_precision", "weight_format", "license")


def _show(spec: ModelSpec, console: Console) -> None:
    origin = spec.origin
    title = spec.hf_id if origin is None else f"{origin.label} from {origin.registry}"
    table = Table(title=title)
    for column in ("field", "value", "source"):
        table.add_column(column)
    for name in _SHOWN:
        value = getattr(spec, name)
        if value is None or value == "":
            continue
        source = origin.source_of(name) if origin is not None else None
        table.add_row(name, str(value), source or spec.source.source_id)
    console.print(table)
    if origin is not None and origin.gated:
        console.print("gated: the deployment needs a token of an account with access")


def _catalog() -> RegistryCatalog:
    """The lookup the settings describe (settings are read here, when a command runs)."""
    from bot.settings import load_settings
    from bot.wiring import build_model_lookup

    return build_model_lookup(load_settings())


@models_app.command("show")
def show(
    model: Annotated[str, typer.Argument(help="org/name or org/name@revision.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the spec as JSON.")] = False,
) -> None:
    """Look a model up (cache first, then the registry) and show what was derived, and from where.

    Args:
        model: The model id.
        as_json: Print the spec as one JSON object.
    """
    try:
        spec = _catalog().lookup(name=model)
    except PreflightError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(spec.model_dump(mode="json")))
    else:
        _show(spec, Console())


@models_app.command("list")
def list_cached() -> None:
    """List the models cached in the data directory, with the commit each was read at."""
    try:
        specs = _catalog().cached()
    except PreflightError as exc:
        raise fail(exc) from exc
    for spec in specs:
        label = spec.origin.label if spec.origin else spec.hf_id
        fetched = spec.origin.fetched_at if spec.origin else ""
        typer.echo(f"{label}\t{spec.params_b} B\t{spec.native_precision}\t{fetched}")


@models_app.command("refresh")
def refresh(
    models: Annotated[
        list[str] | None, typer.Argument(help="Ids to refresh; every cached model when none.")
    ] = None,
) -> None:
    """Read cached models again from the registry (a new commit replaces the cached spec).

    Args:
        models: Ids to refresh; every cached one when none.
    """
    try:
        fresh = _catalog().refresh(names=models or ())
    except PreflightError as exc:
        raise fail(exc) from exc
    for spec in fresh:
        typer.echo(f"refreshed {spec.origin.label if spec.origin else spec.hf_id}")


def register(app: typer.Typer) -> None:
    """Add ``preflight models`` to ``app``.

    Args:
        app: The root Typer app.
    """
    app.add_typer(models_app, name="models")
