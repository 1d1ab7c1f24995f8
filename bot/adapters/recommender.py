"""The recommendation engine behind the flow's :class:`~bot.conversation.ports.Recommender` port.

:class:`EngineRecommender` calls ``recommend.engine.recommend`` with the context built once,
applies what-if pins the engine has no notion of — a precision (keep only options at it, after
a wider search) and a replica count (re-predict the shown options at that many replicas with the
simulator's fast path and re-cost them) — and remembers recent answers, since the context is
read-only and the same requirements give the same answer. It must not hold conversation logic,
talk to a service or know a channel.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.conversation.thread_state import Pin
from domain.recommendation import PredictedMetrics, Recommendation, RecommendedOption
from domain.requirements import Requirements, Task, TaskDefaults
from domain.serving import LoadKind, Precision, ServingConfig, Workload
from recommend.context import RecommendContext
from recommend.demand import Demand, plan_demand
from recommend.engine import recommend
from recommend.sizing import slo_use
from simulate.analytical import estimate
from simulate.cost import monthly_cost_usd

WIDE_LIMIT = 20  # options searched when a pin filters them
CACHED = 256  # recent answers remembered


class EngineRecommender:
    """The recommendation engine as the flow's :class:`~bot.conversation.ports.Recommender`.

    A precision pin keeps only the options at that precision (searching wider first); a
    replica pin re-sizes the shown options for that many replicas.

    Args:
        context: The engine's context, built once.
        limit: Options shown.
    """

    def __init__(self, context: RecommendContext, *, limit: int = 5) -> None:
        self._context = context
        self._limit = limit
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Recommendation] = OrderedDict()

    def __call__(self, requirements: Requirements, *, pin: Pin) -> Recommendation:
        """Recommend (see the port); a repeated question is answered from memory."""
        key = requirements.model_dump_json() + pin.model_dump_json()
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = self._recommend(requirements, pin)
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > CACHED:
                self._answers.popitem(last=False)
        return answer

    def _recommend(self, requirements: Requirements, pin: Pin) -> Recommendation:
        if pin.precision is None:
            recommendation = recommend(requirements, context=self._context, limit=self._limit)
        else:
            wide = recommend(requirements, context=self._context, limit=WIDE_LIMIT)
            recommendation = _only_precision(wide, pin.precision, self._limit)
        if pin.replicas is None or not recommendation.options:
            return recommendation
        return resize(recommendation, requirements, replicas=pin.replicas, context=self._context)

    @property
    def context(self) -> RecommendContext:
        """The engine's context."""
        return self._context

    def defaults(self, task: Task) -> TaskDefaults | None:
        """The defaults of a task.

        Args:
            task: The task.

        Returns:
            Its defaults, if known.
        """
        return self._context.task_defaults.get(task)


def _only_precision(recommendation: Recommendation, precision: str, limit: int) -> Recommendation:
    kept = [option for option in recommendation.options if option.precision == precision][:limit]
    if kept:
        return recommendation.model_copy(
            update={
                "options": kept,
                "feasible": any(option.meets_slo for option in kept),
                "pareto": [],
            }
        )
    return recommendation.model_copy(
        update={
            "feasible": False,
            "options": [],
            "pareto": [],
            "why_nothing_fits": f"no {precision} option meets the requirements",
        }
    )


def resize(
    recommendation: Recommendation,
    requirements: Requirements,
    *,
    replicas: int,
    context: RecommendContext,
) -> Recommendation:
    """The recommendation's options re-predicted at ``replicas`` replicas each.

    Args:
        recommendation: The engine's recommendation.
        requirements: The requirements it answers.
        replicas: Replicas per option.
        context: The engine's context (catalogs, calibration, task defaults).

    Returns:
        The same options at that replica count; feasible when any still meets every SLO.
    """
    demand = plan_demand(requirements, context.task_defaults)
    options = [
        _at(option, replicas, demand, requirements, context) for option in recommendation.options
    ]
    feasible = any(option.meets_slo for option in options)
    return recommendation.model_copy(
        update={
            "options": options,
            "feasible": feasible,
            "pareto": [],
            "why_nothing_fits": None
            if feasible
            else f"with {replicas} replicas no option meets every SLO at the peak",
        }
    )


def _at(
    option: RecommendedOption,
    replicas: int,
    demand: Demand,
    requirements: Requirements,
    context: RecommendContext,
) -> RecommendedOption:
    model, gpu = context.models[option.model], context.gpus[option.gpu]
    args = option.serving_args
    config = ServingConfig(
        model=model.hf_id,
        gpu=gpu.name,
        precision=Precision(option.precision),
        tensor_parallel=option.tensor_parallel,
        kv_cache_dtype=args.kv_cache_dtype,
        max_model_len=args.max_model_len,
        max_num_seqs=args.max_num_seqs,
        max_num_batched_tokens=args.max_num_batched_tokens,
        gpu_memory_utilization=args.gpu_memory_utilization,
    )
    workload = Workload(
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        kind=LoadKind.RATE,
        value=max(demand.peak_rps / replicas, 1e-6),
    )
    predicted = estimate(model, gpu, config, workload, context.calibration)
    total = replicas * option.tensor_parallel
    cost = monthly_cost_usd(gpu, total) or 0.0
    reasons = [
        f"Re-predicted at {replicas} replicas, as asked (the engine sized {option.replicas})."
    ]
    if requirements.max_gpus is not None and total > requirements.max_gpus:
        reasons.append(f"{total} GPUs exceed the ceiling of {requirements.max_gpus}.")
    if requirements.budget_usd_month is not None and cost > requirements.budget_usd_month:
        reasons.append(
            f"${cost:,.0f}/month exceeds the budget of ${requirements.budget_usd_month:,.0f}."
        )
    return option.model_copy(
        update={
            "replicas": replicas,
            "total_gpus": total,
            "monthly_cost_usd": round(cost, 2),
            "predicted": PredictedMetrics.from_estimate(
                predicted, output_tok_per_s=predicted.output_tok_per_s * replicas
            ),
            "meets_slo": slo_use(predicted, demand.slo) <= 1.0,
            "utilisation": None,
            "cost_per_million_tokens_usd": None,
            "reasons": reasons,
        }
    )
