"""The workloads of an LLMInferenceService: one pool, or decode and prefill pools (llm-d).

A plan becomes one :class:`Pool` per workload KServe's llmisvc controller runs: the main workload
(role ``both``, or ``decode`` when the option is disaggregated) and, for a disaggregated option,
the ``spec.prefill`` pool. Each pool carries its replicas, its parallelism (``spec.parallelism``
and the vLLM flags that realise it), its GPUs and the port vLLM listens on. What each value
follows, from kserve/kserve at the tags named:

* decode pods run llm-d's routing sidecar on 8000 and vLLM on 8001, prefill and single pools vLLM
  on 8000 (config/llmisvcconfig/config-llm-decode-template.yaml, config-llm-template.yaml,
  v0.18.0); pods are labelled ``llm-d.ai/role`` decode, prefill or both
  (pkg/constants/constants.go, pkg/controller/v1alpha2/llmisvc/workload_single_node.go);
* the KV cache moves between the pools over NIXL: both pools run vLLM with
  ``--kv-transfer-config`` NixlConnector/kv_both and ``VLLM_NIXL_SIDE_CHANNEL_HOST`` set to the
  pod IP (docs/samples/llmisvc/single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml);
* single-node templates pass none of ``spec.parallelism``'s data or expert settings to vLLM, and
  its tensor size only from v0.20.0 (config-llm-template.yaml), so the flags are passed in
  ``VLLM_ADDITIONAL_ARGS`` (``--data-parallel-size``, ``--enable-expert-parallel``: vLLM
  vllm/engine/arg_utils.py); ``data`` and ``dataLocal`` are set together, as validation requires
  (pkg/apis/serving/v1alpha2/llm_inference_service_validation.go).

This module must not render templates, read settings or talk to a cluster.
"""

from __future__ import annotations

import json
from typing import Literal

from deploy.flags import vllm_flags
from deploy.plan import DeploymentPlan
from deploy.sizing import cpu_cores, shm_gib
from domain.base import Frozen

VLLM_PORT = 8000
DECODE_VLLM_PORT = 8001  # the routing sidecar serves 8000 on decode pods
ROLE_LABEL = "llm-d.ai/role"
KV_TRANSFER_CONFIG = json.dumps(
    {"kv_connector": "NixlConnector", "kv_role": "kv_both"}, separators=(",", ":")
)
TENSOR_FROM_SPEC_MINOR = 20  # config-llm-template.yaml reads spec.parallelism.tensor from 0.20


Role = Literal["both", "decode", "prefill"]


class Pool(Frozen):
    """One workload of an LLMInferenceService."""

    role: Role  # the pods' llm-d.ai/role
    replicas: int
    tensor: int
    data: int
    expert: bool
    gpus: int
    cpu: int
    shm_gib: int
    vllm_port: int
    args: str  # VLLM_ADDITIONAL_ARGS (bash-evaluated by KServe's template: quoted JSON)
    parallelism: dict[str, int | bool]


def pools(plan: DeploymentPlan) -> list[Pool]:
    """The workloads of a plan, main first.

    Args:
        plan: A plan for the LLMInferenceService target.

    Returns:
        One pool, or the decode pool and the prefill pool.
    """
    split = plan.prefill is not None
    role: Role = "decode" if split else "both"
    main = _pool(plan, role, plan.replicas, _tp(plan), plan.data_parallel)
    if plan.prefill is None:
        return [main]
    pre = plan.prefill
    return [main, _pool(plan, "prefill", pre.replicas, pre.tensor_parallel, pre.data_parallel)]


def _tp(plan: DeploymentPlan) -> int:
    return plan.serving_args.tensor_parallel_size


def _pool(plan: DeploymentPlan, role: Role, replicas: int, tp: int, dp: int) -> Pool:
    return Pool(
        role=role,
        replicas=replicas,
        tensor=tp,
        data=dp,
        expert=plan.expert_parallel,
        gpus=tp * dp,
        cpu=cpu_cores(tp * dp),
        shm_gib=shm_gib(tp * dp),
        vllm_port=DECODE_VLLM_PORT if role == "decode" else VLLM_PORT,
        args=" ".join(pool_flags(plan, tp, dp, disaggregated=role != "both")),
        parallelism=_parallelism(tp, dp, plan.expert_parallel),
    )


def _parallelism(tp: int, dp: int, expert: bool) -> dict[str, int | bool]:
    out: dict[str, int | bool] = {"tensor": tp} if tp > 1 else {}
    if dp > 1:
        out |= {"data": dp, "dataLocal": dp}
    if expert:
        out["expert"] = True
    return out


def pool_flags(plan: DeploymentPlan, tp: int, dp: int, *, disaggregated: bool) -> list[str]:
    """vLLM flags of one pool for ``VLLM_ADDITIONAL_ARGS``.

    The served name comes from ``spec.model.name``; the tensor size from ``spec.parallelism``
    only from KServe 0.20; data and expert parallelism and the KV transfer always travel here.

    Args:
        plan: The plan.
        tp: The pool's tensor-parallel size.
        dp: The pool's data-parallel size.
        disaggregated: Whether the pool ships KV caches to or from another pool.

    Returns:
        The flags, in a fixed order.
    """
    flags = [
        _quoted(flag)
        for flag in vllm_flags(plan)[1:]
        if not flag.startswith(("--tensor-parallel-size", "--data-parallel-size"))
    ]
    if _minor(plan.kserve_version) < TENSOR_FROM_SPEC_MINOR:
        flags.insert(0, f"--tensor-parallel-size={tp}")
    if dp > 1:
        flags.append(f"--data-parallel-size={dp}")
    if disaggregated:
        flags.append(f"--kv-transfer-config='{KV_TRANSFER_CONFIG}'")
    return flags


def _quoted(flag: str) -> str:
    """A flag whose value is a JSON object, single-quoted as ``--kv-transfer-config`` is."""
    name, _, value = flag.partition("=")
    return f"{name}='{value}'" if value.startswith("{") else flag


def _minor(version: str) -> int:
    return int(version.split(".")[1])
