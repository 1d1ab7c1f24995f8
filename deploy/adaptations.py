"""What a plan adapts of an option for its cluster, each change said in a note.

An option is what to run; the cluster decides how. Each function here returns the value the plan
uses and the notes that say why it differs from what was asked: ``--quantization`` dropped for a
pre-quantized checkpoint, a disaggregated option served by llm-d, an LLMInferenceService's
autoscaling rendered only where KServe's Workload Variant Autoscaler is set up.

This module must not render, read settings or talk to a cluster.
"""

from __future__ import annotations

from pydantic import Field

from deploy.profile import ClusterProfile
from deploy.serving_choice import Autoscaler, Target
from domain.base import Frozen
from domain.recommendation import RecommendedOption

Notes = tuple[str, ...]


class PrefillPlan(Frozen):
    """The prefill pool of a disaggregated deployment (llm-d through LLMInferenceService)."""

    replicas: int = Field(ge=1, le=1000)
    tensor_parallel: int = Field(ge=1, le=64)
    data_parallel: int = Field(default=1, ge=1, le=64)

    @property
    def gpus(self) -> int:
        """GPUs per prefill replica."""
        return self.tensor_parallel * self.data_parallel


def quantization_flag(
    option: RecommendedOption, declared: str | None, source: str
) -> tuple[str | None, Notes]:
    """``--quantization`` only quantizes 16-bit weights at load time; a pre-quantized checkpoint
    brings its own method, and vLLM refuses a different flag (``_verify_quantization``)."""
    asked = option.serving_args.quantization
    if declared is None or asked is None:
        return (None if declared else asked), ()
    note = (
        f"--quantization={asked} is not passed: {option.model} is a pre-quantized checkpoint "
        f"({declared}; {source}), and vLLM takes the method from the checkpoint"
    )
    return None, (note,)


def prefill_plan(option: RecommendedOption) -> PrefillPlan | None:
    """The prefill pool of a disaggregated option, None for one that is not."""
    pool = option.prefill
    if pool is None:
        return None
    return PrefillPlan(
        replicas=pool.replicas,
        tensor_parallel=pool.tensor_parallel,
        data_parallel=pool.data_parallel,
    )


def disaggregated_target(prefill: PrefillPlan | None, target: Target) -> tuple[Target, Notes]:
    """Separate prefill and decode pools exist only in llm-d's LLMInferenceService
    (``spec.prefill``, kserve pkg/apis/serving/v1alpha2 WorkloadSpec); an InferenceService has
    one predictor, so a disaggregated option is rendered as an LLMInferenceService, said."""
    if prefill is None or target is Target.LLM_INFERENCE_SERVICE:
        return target, ()
    note = (
        "rendered as an LLMInferenceService (llm-d): prefill/decode disaggregation needs its "
        "spec.prefill pool, which an InferenceService does not have"
    )
    return Target.LLM_INFERENCE_SERVICE, (note,)


def autoscaler_for(
    asked: Autoscaler, target: Target, site: ClusterProfile
) -> tuple[Autoscaler, Notes]:
    """LLMInferenceService scales only through its own spec.scaling, which KServe acts on with
    the Workload Variant Autoscaler (kserve pkg/controller/v1alpha2/llmisvc/scaling.go, v0.18;
    validation requires spec.scaling.wva with a keda or hpa actuator): without it the sized
    replicas are fixed, and the plan says so."""
    if target is not Target.LLM_INFERENCE_SERVICE or asked is Autoscaler.NONE:
        return asked, ()
    if site.wva_autoscaling:
        return asked, ()
    note = (
        f"{asked.value} autoscaling is not rendered: an LLMInferenceService scales through its "
        "spec.scaling with KServe's Workload Variant Autoscaler, which this cluster does not "
        "say it has (PREFLIGHT_CLUSTER__WVA_AUTOSCALING), so it runs the sized replicas"
    )
    return Autoscaler.NONE, (note,)
