"""``preflight kb``: build, inspect and search the knowledge base (registered by bot.cli.app).

Settings are built inside each command; torch, Qdrant and LlamaIndex are imported only inside
the commands that need them, so ``kb build --if-missing`` on a built store returns at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.errors import fail
from bot.settings import Settings, load_settings
from domain.errors import PreflightError
from domain.requirements import GpuFamily, Task

if TYPE_CHECKING:
    from knowledge.edge_kb import EdgeKnowledgeBase
    from knowledge.kb import Kind
    from knowledge.qdrant_kb import QdrantKnowledgeBase

kb_app = typer.Typer(help="The knowledge base: deployment patterns and measured benchmarks.")
_err = Console(stderr=True)


def _open(settings: Settings) -> EdgeKnowledgeBase | QdrantKnowledgeBase:
    from knowledge.kb_build import open_knowledge_base

    knowledge = settings.knowledge
    key = knowledge.qdrant_api_key.get_secret_value() if knowledge.qdrant_api_key else None
    return open_knowledge_base(
        data_dir=settings.data_dir,
        url=knowledge.qdrant_url,
        api_key=key,
        collection=knowledge.collection,
    )


def _family(name: str | None) -> GpuFamily | None:
    if name is None:
        return None
    for family in GpuFamily:
        if family.value.lower() == name.strip().lower():
            return family
    known = ", ".join(family.value for family in GpuFamily)
    raise typer.BadParameter(f"unknown GPU family {name!r}; known: {known}")


@kb_app.command("build")
def build(
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing when already built from this data.")
    ] = False,
    seed: Annotated[
        Path | None,
        typer.Option(
            help="An archive from `kb archive` (the image ships one): unpacked instead of "
            "building when it was built from the same data; built otherwise."
        ),
    ] = None,
) -> None:
    """Index the deployment patterns and every benchmark record (shipped and ingested)."""
    from knowledge import kb_build

    try:
        settings = load_settings()
        collection, data_dir = settings.knowledge.collection, settings.data_dir
        local = settings.knowledge.qdrant_url is None
        if if_missing and local and kb_build.is_built(data_dir, collection):
            print(f"knowledge base already built in {kb_build.store_path(data_dir)}")
            return
        if seed is not None and local and _restored(seed, data_dir, collection):
            return
        from knowledge.records import load_records

        total = len(load_records(data_dir))
        with _open(settings) as kb, _progress() as bar:
            task = bar.add_task("indexing benchmark records", total=total)
            report = kb_build.build(
                kb,
                data_dir=data_dir,
                collection=collection,
                upsert_records=kb.upsert_records,
                progress=lambda n: bar.advance(task, n),
            )
    except PreflightError as exc:
        raise fail(exc) from exc
    print(
        f"indexed {report.patterns} patterns and {report.benchmarks} benchmark records "
        f"in {report.seconds:.1f} s"
    )


def _restored(seed: Path, data_dir: Path, collection: str) -> bool:
    from knowledge import kb_seed

    if kb_seed.restore(seed, data_dir, collection):
        print(f"knowledge base unpacked from {seed} into {data_dir / 'kb'}")
        return True
    _err.print(f"{seed} is missing or was built from other data: building the knowledge base")
    return False


@kb_app.command("archive")
def archive(
    out: Annotated[Path, typer.Option(help="The archive to write (.tar.gz).")],
) -> None:
    """Pack the built local knowledge base into one archive (`kb build --seed` unpacks it)."""
    from knowledge import kb_build, kb_seed

    settings = load_settings()
    if not kb_build.is_built(settings.data_dir, settings.knowledge.collection):
        raise fail(PreflightError("the knowledge base is not built from this data: run `kb build`"))
    files = kb_seed.archive(settings.data_dir, out)
    print(f"packed {files} files of {kb_build.store_path(settings.data_dir)} into {out}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
        disable=not sys.stderr.isatty(),
    )


@kb_app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Count the indexed records and patterns and the catalogued GPUs and models."""
    from knowledge.catalog import load_gpus

    try:
        settings = load_settings()
        gpus = load_gpus(price_file=settings.knowledge.price_file)  # checks the operator's prices
        with _open(settings) as kb:
            counts = kb.stats().model_copy(update={"gpus": len(gpus)})
    except PreflightError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(counts.model_dump()))
    else:
        table = Table("what", "count")
        for name, value in counts.model_dump().items():
            table.add_row(name, str(value))
        Console().print(table)
    if counts.benchmarks == 0:
        _err.print("the knowledge base is empty: run `preflight kb build`")


@kb_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="What you look for, in plain words.")],
    task: Annotated[Task | None, typer.Option(help="Only patterns for this task.")] = None,
    gpu: Annotated[str | None, typer.Option(help="Only this GPU family (e.g. H100).")] = None,
    kind: Annotated[str | None, typer.Option(help="pattern or benchmark.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search patterns and benchmark records by meaning."""
    if kind not in (None, "pattern", "benchmark"):
        raise typer.BadParameter("kind must be pattern or benchmark")
    kinds: tuple[Kind, ...] = (kind,) if kind in ("pattern", "benchmark") else ()  # type: ignore[assignment]
    try:
        with _open(load_settings()) as kb:
            hits = kb.search(text, kinds=kinds, task=task, gpu_family=_family(gpu), limit=limit)
    except PreflightError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps([hit.model_dump() for hit in hits], default=str))
        return
    table = Table("score", "kind", "id", "title")
    for hit in hits:
        table.add_row(f"{hit.score:.3f}", hit.kind, hit.id, hit.title)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``kb`` command group to ``app``.

    Args:
        app: The root Typer app.
    """
    app.add_typer(kb_app, name="kb")
