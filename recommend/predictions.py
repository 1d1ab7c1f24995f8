"""The simulator seam: every prediction the recommender asks for, remembered per context.

Each function wraps one pure simulator call — the capacity search
(:func:`simulate.capacity.max_rate_per_replica`), the analytical estimate, a discrete-event run,
a batch of first looks (:func:`recommend.screening.first_look`) — and remembers its answer in
the context's :class:`~recommend.memo.Memo` under a key naming every input: model and GPU by
catalog name (one spec within a context), the serving configuration's field values, the token
shape or workload, the targets. The calibration is the context's own, so it needs no key. A
conversation's follow-up questions thus skip the searches already done. Nothing else in
``recommend`` reads or writes the memo except the rules stage (:mod:`recommend.ruling`).
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.catalog import GpuSpec
from domain.requirements import SloTarget
from domain.serving import MemoryFit, PerformanceEstimate, ServingConfig, Workload
from recommend.candidates import Candidate
from recommend.context import RecommendContext
from recommend.screening import FirstLook, first_look
from simulate.analytical import estimate
from simulate.calibration import for_engine_version
from simulate.capacity import max_rate_per_replica
from simulate.deploy_basis import DeployBasis, choose_band, clip_to_floors, physical_floors
from simulate.scheduler import simulate_run

DES_REQUESTS = 300  # requests in one discrete-event run (seed 0)
ENGINE = "vllm"  # the engine options deploy (bot.settings ClusterSettings.image)


def engine_basis(gpu: GpuSpec, ctx: RecommendContext) -> DeployBasis:
    """The calibration band predictions on ``gpu`` rest on: the deployed vLLM version's, or nearest.

    Args:
        gpu: The GPU.
        ctx: Calibration and the vLLM version deployed per GPU vendor.

    Returns:
        The basis (:func:`simulate.deploy_basis.choose_band`); its ``key`` is the engine of
        every serving configuration sized on this GPU.
    """
    version = ctx.engine_versions.get(gpu.vendor, "")
    return ctx.memo.get(
        ("engine_basis", gpu.name, version),
        lambda: choose_band(ctx.calibration, ENGINE, version, gpu),
    )


def _names(candidate: Candidate, config: ServingConfig) -> tuple[object, ...]:
    """The configuration as key parts: catalog names, then its field values in field order."""
    return (candidate.model.hf_id, candidate.gpu.name, *config.__dict__.values())


def capacity(
    candidate: Candidate,
    config: ServingConfig,
    *,
    input_tokens: int,
    output_tokens: int,
    slo: Sequence[SloTarget],
    ctx: RecommendContext,
) -> float:
    """The highest request rate one replica serves within every SLO.

    Args:
        candidate: The configuration's model and GPU.
        config: Its serving configuration.
        input_tokens: Prompt tokens per request.
        output_tokens: Output tokens per request.
        slo: The targets.
        ctx: Calibration and the memo.

    Returns:
        Requests per second (0 when no rate meets the targets).
    """
    key = ("capacity", *_names(candidate, config), input_tokens, output_tokens, tuple(slo))
    return ctx.memo.get(
        key,
        lambda: max_rate_per_replica(
            candidate.model,
            candidate.gpu,
            config,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            slo=list(slo),
            calibration=ctx.calibration,
        ),
    )


def predict(
    candidate: Candidate,
    config: ServingConfig,
    workload: Workload,
    ctx: RecommendContext,
    *,
    simulated: bool = False,
) -> PerformanceEstimate:
    """The simulator's prediction for a configuration under a workload.

    Args:
        candidate: The configuration's model and GPU.
        config: Its serving configuration.
        workload: The offered load.
        ctx: Calibration and the memo.
        simulated: Run the discrete-event simulator (:data:`DES_REQUESTS` requests, seed 0)
            instead of the analytical model.

    Returns:
        The prediction, for the engine version the context deploys on this GPU's vendor.
    """
    model, gpu = candidate.model, candidate.gpu
    version = ctx.engine_versions.get(gpu.vendor, "")
    floors = physical_floors(model, gpu, config, workload)
    if simulated:
        return ctx.memo.get(
            ("des", *_names(candidate, config), workload),
            lambda: clip_to_floors(
                for_engine_version(
                    simulate_run(
                        model, gpu, config, workload, ctx.calibration, requests=DES_REQUESTS, seed=0
                    ),
                    ENGINE,
                    version,
                ),
                floors,
            ),
        )
    return ctx.memo.get(
        ("estimate", *_names(candidate, config), workload),
        lambda: clip_to_floors(
            for_engine_version(
                estimate(model, gpu, config, workload, ctx.calibration), ENGINE, version
            ),
            floors,
        ),
    )


def first_looks(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    *,
    input_tokens: int,
    output_tokens: int,
    ctx: RecommendContext,
) -> list[FirstLook]:
    """Light-load percentiles and saturated throughput of many configurations.

    Only configurations not seen with this token shape are priced, in one batch.

    Args:
        items: (candidate, serving configuration, memory fit) per configuration.
        input_tokens: Prompt tokens per request.
        output_tokens: Output tokens per request.
        ctx: Calibration and the memo.

    Returns:
        One look per item, in order.
    """
    keys = [
        ("first_look", *_names(cand, config), input_tokens, output_tokens)
        for cand, config, _ in items
    ]
    return ctx.memo.get_many(
        keys,
        lambda missing: first_look(
            [items[i] for i in missing],
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            ctx=ctx,
        ),
    )
