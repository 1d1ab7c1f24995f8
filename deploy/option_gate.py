"""The pre-flight check asked of an option before it is offered (the recommend-time gate).

The recommender hands each option it would offer to :meth:`OptionGate.__call__` (wired by the
entry point as ``RecommendContext.deploy_check``): the option becomes the plan the settings would
deploy (same profile, target, autoscaler and token secret as ``deploy render|apply`` and chat),
is rendered, and :func:`deploy.preflight.check` runs over the objects. Rules that refuse the
option whatever the cluster (:data:`OPTION_RULES`: a quantization flag the checkpoint refuses, a
method the platform lacks, a tensor size that does not divide the heads) always keep it off the
list. The others name something the cluster must provide (an image for the platform, an arm64
image, a token the downloader can read, a KServe version); they keep the option off the list when
the gate screens for a real cluster, and otherwise let it be offered saying what deploying it
needs first (the embedded dry-run default, where no cluster is there to refuse).

This module must not read settings or talk to a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from deploy.plan import Autoscaler, Target, plan_for
from deploy.preflight import LLMISVC_MIN_KSERVE, Finding, check
from deploy.profile import ClusterProfile
from deploy.render import render
from domain.errors import UserFacingError
from domain.recommendation import DeployScreen, RecommendedOption

OPTION_RULES = frozenset(
    {"checkpoint-quantization", "platform-quantization", "tp-divides-heads", "speculative-method"}
)
# What the cluster lacks, in a few words with the setting that provides it (an option's reasons
# are read at a glance; the full reason comes with the refusal if it is deployed as it is).
NEEDS_FOR_RULE = {
    "image-platform": "a vLLM image for this GPU's platform (PREFLIGHT_CLUSTER__IMAGES)",
    "image-architecture": "an arm64 vLLM image (PREFLIGHT_CLUSTER__IMAGES, cuda-arm64)",
    "node-architecture": "node labels for this GPU (PREFLIGHT_CLUSTER__NODE_LABELS)",
    "gpu-resource": "the GPU's device-plugin resource (PREFLIGHT_CLUSTER__INTEL_GPU_RESOURCE)",
    "restricted-pod": "a pod security setting (PREFLIGHT_CLUSTER__RUN_AS_USER)",
    "kserve-version": "a newer KServe (PREFLIGHT_CLUSTER__KSERVE_VERSION)",
    "gated-model-credentials": "a Hub token for this gated model "
    "(PREFLIGHT_CLUSTER__HF_TOKEN_SECRET) or a model cache",
}
SCREEN_NAMESPACE = "preflight-screen"  # any valid namespace: no rule reads it
_SCREENED = {"model", "params_b", "gpu", "gpu_family", "precision", "tensor_parallel"} | {
    "serving_args",
    "prefill",
}


def _not_gated(_: str) -> bool:
    return False


@dataclass(frozen=True)
class OptionGate:
    """The pre-flight check of the cluster one set of settings describes, asked per option."""

    profile: ClusterProfile
    target: Target = Target.INFERENCE_SERVICE
    autoscaler: Autoscaler = Autoscaler.KEDA
    hf_token_secret: str = ""
    exclude_setup: bool = True
    # Whether a model outside the catalog is gated on the registry it was read from.
    is_gated: Callable[[str], bool] = field(default=_not_gated, compare=False, repr=False)
    # Verdicts by what the rules read (checkpoint, GPU, precision, vLLM arguments, pools): the
    # replicas, costs and predictions of an option never change one. Shared by every request.
    _seen: dict[str, DeployScreen] = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, option: RecommendedOption) -> DeployScreen:
        """Screen one option.

        Args:
            option: An option the recommender would offer.

        Returns:
            Refused (with the rules), offered with what it needs first, or offered as it is.
        """
        key = option.model_dump_json(include=_SCREENED)
        if key not in self._seen:
            self._seen[key] = self._screen(option)
        return self._seen[key]

    def _screen(self, option: RecommendedOption) -> DeployScreen:
        try:
            plan = plan_for(
                option,
                namespace=SCREEN_NAMESPACE,
                requester="preflight",
                target=self.target,
                autoscaler=self.autoscaler,
                profile=self.profile,
                hf_token_secret=self.hf_token_secret,
                gated=self.is_gated(option.model),
            )
        except UserFacingError as exc:
            return DeployScreen(refused=exc.message, rules=("plan",))
        found = [f for f in check(render(plan), self.profile) if f.kind == "refused"]
        always = [f for f in found if f.rule in OPTION_RULES]
        setup = [f for f in found if f.rule not in OPTION_RULES]
        if always or (setup and self.exclude_setup):
            return DeployScreen(refused=_said(always + setup), rules=_rules(always + setup))
        if setup:
            return DeployScreen(needs=_needs(setup), rules=_rules(setup))
        return DeployScreen()


def serves_disaggregated(profile: ClusterProfile) -> bool:
    """Whether the cluster can deploy a prefill/decode pair (llm-d through LLMInferenceService).

    The prefill pool is an LLMInferenceService's ``spec.prefill``, with the KV-transfer flags in
    ``VLLM_ADDITIONAL_ARGS``: both from KServe :data:`deploy.preflight.LLMISVC_MIN_KSERVE`
    (config/llmisvcconfig/config-llm-template.yaml v0.18.0), which the kserve-version rule
    enforces at render time; the recommender proposes such options only where this holds.

    Args:
        profile: The cluster.

    Returns:
        True when the KServe version serves one.
    """
    return profile.kserve_at_least(LLMISVC_MIN_KSERVE)


def _said(findings: list[Finding]) -> str:
    return "; ".join(f"[{f.rule}] {f.reason}" for f in findings)


def _rules(findings: list[Finding]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.rule for f in findings))


def _needs(findings: list[Finding]) -> str:
    return "; ".join(
        dict.fromkeys(NEEDS_FOR_RULE.get(f.rule, f"[{f.rule}] {f.reason}") for f in findings)
    )
