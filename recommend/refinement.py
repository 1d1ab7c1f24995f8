"""Re-checking the best options in discrete-event simulation, adding replicas while one misses.

The fast path sizes every option analytically; the few that rank first are re-predicted with
the discrete-event simulator (:data:`recommend.predictions.DES_REQUESTS` requests) and, unless
the replica count is pinned, get up to :data:`DES_EXTRA_REPLICAS` more replicas while an SLO is
missed and the GPU ceiling, inventory and budget still allow. It never ranks or explains.
"""

from __future__ import annotations

from dataclasses import replace

from domain.requirements import Requirements
from recommend import rules
from recommend.context import RecommendContext
from recommend.costing import cost_usd
from recommend.demand import Demand
from recommend.predictions import predict
from recommend.sizing import Sized, slo_use, workload

DES_EXTRA_REPLICAS = 3


def within_limits(option: Sized, requirements: Requirements, ctx: RecommendContext) -> bool:
    """Whether an option (after refinement added replicas) still keeps every ceiling.

    Args:
        option: The sized option.
        requirements: The requirements.
        ctx: The context (inventory).

    Returns:
        True when GPU ceiling, inventory and budget all hold.
    """
    total = option.total_gpus
    over_budget = option.monthly_cost_usd is not None and rules.budget(
        option.monthly_cost_usd, requirements
    )
    return not (
        rules.gpu_ceiling(total, requirements)
        or rules.in_inventory(option.candidate.gpu, ctx.inventory, total)
        or over_budget
    )


def refine(
    option: Sized, demand: Demand, requirements: Requirements, ctx: RecommendContext
) -> Sized:
    """Re-predict with the discrete-event simulator; add replicas while it misses an SLO.

    Args:
        option: An option sized on the fast path.
        demand: The demand.
        requirements: The requirements (ceilings, budget).
        ctx: The context.

    Returns:
        The option with simulated percentiles (``meets_slo`` False when no allowed number
        of replicas holds the SLOs in simulation).
    """
    techniques = option.config.techniques
    if techniques.speculative or techniques.disaggregated:
        note = (
            "Predicted on the analytical path only: the discrete-event simulator does not model "
            "speculative decoding or a separate prefill pool."
        )
        return replace(option, notes=(*option.notes, note))
    current = option
    extra = 0 if demand.pins.replicas is not None else DES_EXTRA_REPLICAS
    for _ in range(extra + 1):
        share = demand.peak_rps / current.replicas
        predicted = predict(
            current.candidate, current.config, workload(demand, share), ctx, simulated=True
        )
        use = slo_use(predicted, demand.slo)
        current = replace(current, estimate=predicted, meets_slo=use <= 1.0, slo_use=use)
        if current.meets_slo or extra == 0:
            return current
        more = replace(
            current,
            replicas=current.replicas + 1,
            monthly_cost_usd=cost_usd(
                current.candidate.gpu,
                current.candidate.gpus_for(current.replicas + 1),
                demand,
                current.candidate.gpus_for(1),
            ),
            notes=(*current.notes, "Replica added: the discrete-event simulation missed an SLO."),
        )
        if not within_limits(more, requirements, ctx):
            return current
        current = more
    return current
