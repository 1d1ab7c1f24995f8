"""What reading a benchmark file gives: the records that validated and the rows that did not.

Readers never raise for one bad row: they report it here (file, line, reason) and go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.benchmarks import BenchmarkRecord


@dataclass(frozen=True)
class BadRow:
    """A row (or JSON entry) that could not become a record.

    Attributes:
        file: The file it is in.
        line: Line number in a CSV file (header = 1), or entry number in a JSON file.
        reason: Why it was skipped.
    """

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ReadResult:
    """Records read from one or more files, deduplicated by content id, and the bad rows."""

    records: list[BenchmarkRecord] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    duplicates: int = 0

    def add(self, record: BenchmarkRecord, seen: set[str]) -> None:
        """Keep ``record`` unless a record with its id was already kept.

        Args:
            record: A validated record.
            seen: Ids kept so far (updated).
        """
        if record.id in seen:
            self.duplicates += 1
            return
        seen.add(record.id)
        self.records.append(record)

    def extend(self, other: ReadResult) -> None:
        """Merge another result into this one, keeping the first record of each id.

        Args:
            other: Another file's result.
        """
        seen = {record.id for record in self.records}
        for record in other.records:
            self.add(record, seen)
        self.duplicates += other.duplicates
        self.bad_rows.extend(other.bad_rows)


@dataclass(frozen=True)
class RunContext:
    """What a JSON benchmark report does not say about the deployment it measured.

    GuideLLM and vLLM ``benchmark_serving`` reports name the model and the load but not the GPU,
    the tensor-parallel size or the precision; the person ingesting says them (or the report's
    metadata does, which wins).

    Attributes:
        gpu: GPU catalog name or family.
        gpu_count: GPUs in the deployment.
        tensor_parallel: Tensor-parallel size.
        precision: Weight precision as written.
        engine: Serving engine.
        engine_version: Engine version.
        model: Model id overriding the report's.
        source_id: Source id for the records; the file stem when None.
        observed: Where a run measured a live deployment ("cluster/namespace/deployment/time");
            the records' provenance then reads "observed: …".
    """

    gpu: str | None = None
    gpu_count: int | None = None
    tensor_parallel: int | None = None
    precision: str = "bf16"
    engine: str = "vllm"
    engine_version: str = ""
    model: str | None = None
    source_id: str | None = None
    observed: str | None = None
