"""What the pre-flight rules read: the serving side of one deployment's rendered objects.

:func:`subject_of` finds the object that serves the model (an InferenceService with its
ServingRuntime, or an LLMInferenceService) and collects, in one place, what KServe will run: the
image, the vLLM flags, tensor parallelism, requested resources, node selector, containers with
their mounts, the storage URI and the annotations. Reading the objects rather than the plan lets
the same rules run again on stored objects just before an approved apply.

This module must not judge anything; :mod:`deploy.preflight` does.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from deploy.render import Manifest
from domain.base import Frozen
from domain.errors import InvalidInputError


class Subject(Frozen):
    """The serving side of one deployment, as KServe will run it."""

    kind: str
    model: str = Field(description="Hugging Face id (the preflight.dev/model annotation).")
    gpu: str = Field(description="Catalog GPU name (the preflight.dev/gpu annotation).")
    image: str
    args: tuple[str, ...] = Field(description="vLLM flags, one --flag=value each.")
    tensor_parallel: int
    data_parallel: int = 1
    disaggregated: bool = Field(default=False, description="One of a prefill/decode pair.")
    resources: dict[str, str] = Field(description="Requested resources of the model container.")
    node_selector: dict[str, str]
    containers: tuple[dict[str, Any], ...] = Field(description="Containers running vLLM.")
    mounts: dict[str, str] = Field(description="Writable volume name → mount path.")
    storage_uri: str
    annotations: dict[str, str]
    autoscaler_class: str = ""
    deployment_mode: str = Field(default="", description="serving.kserve.io/deploymentMode.")
    scaling: bool = Field(default=False, description="LLMInferenceService spec.scaling is set.")
    tensor_in_args: bool = Field(
        default=True, description="--tensor-parallel-size is among the flags vLLM is given."
    )
    keda_https: tuple[str, ...] = Field(
        default=(), description="HTTPS addresses KEDA's Prometheus triggers query."
    )
    keda_ca: bool = Field(default=False, description="KEDA's TriggerAuthentication passes a 'ca'.")
    keda_auth_modes: bool = Field(default=False, description="KEDA's triggers set authModes.")

    def flag(self, name: str) -> str | None:
        """Return the value of one ``--flag=value`` argument, or None when absent."""
        for arg in self.args:
            key, _, value = arg.partition("=")
            if key == name:
                return value
        return None


def subjects_of(manifests: Sequence[Manifest]) -> list[Subject]:
    """Collect every workload that runs vLLM: the serving one, and a prefill pool if any.

    Args:
        manifests: The rendered objects of one plan.

    Returns:
        The subjects the rules read, the main workload first.

    Raises:
        InvalidInputError: When no serving object is among them.
    """
    main = subject_of(manifests).model_copy(update=_keda(manifests))
    llm = next((m for m in manifests if m.get("kind") == "LLMInferenceService"), None)
    prefill = (llm or {}).get("spec", {}).get("prefill")
    if llm is None or not prefill:
        return [main]
    pool = _llm_workload(llm, prefill, kind="LLMInferenceService prefill pool")
    split = {"disaggregated": True}
    return [main.model_copy(update=split), pool.model_copy(update=split)]


def _keda(manifests: Sequence[Manifest]) -> dict[str, Any]:
    """What KEDA's Prometheus triggers query over HTTPS, and whether they pass a CA."""
    triggers = [
        t.get("metadata") or {}
        for m in manifests
        if m.get("kind") == "ScaledObject"
        for t in m["spec"].get("triggers") or []
        if t.get("type") == "prometheus"
    ]
    refs = [
        ref
        for m in manifests
        if m.get("kind") == "TriggerAuthentication"
        for key in ("secretTargetRef", "configMapTargetRef")
        for ref in m["spec"].get(key) or []
    ]
    https = {str(t.get("serverAddress", "")) for t in triggers}
    return {
        "keda_https": tuple(sorted(a for a in https if a.startswith("https://"))),
        "keda_ca": any(ref.get("parameter") == "ca" for ref in refs),
        "keda_auth_modes": any("authModes" in t for t in triggers),
    }


def subject_of(manifests: Sequence[Manifest]) -> Subject:
    """Collect the serving side of one deployment's objects (its main workload).

    Args:
        manifests: The rendered objects of one plan.

    Returns:
        The subject the rules read.

    Raises:
        InvalidInputError: When no serving object is among them.
    """
    by_kind = {m.get("kind"): m for m in manifests}
    if "LLMInferenceService" in by_kind:
        llm = by_kind["LLMInferenceService"]
        return _llm_workload(llm, llm["spec"], kind="LLMInferenceService")
    if "InferenceService" in by_kind and "ServingRuntime" in by_kind:
        return _isvc(by_kind["InferenceService"], by_kind["ServingRuntime"])
    raise InvalidInputError("no InferenceService with its ServingRuntime, nor LLMInferenceService")


def _notes(manifest: Manifest) -> dict[str, str]:
    return dict(manifest.get("metadata", {}).get("annotations") or {})


def _writable(volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> dict[str, str]:
    empty = {v["name"] for v in volumes if "emptyDir" in v}
    return {m["name"]: m["mountPath"] for m in mounts if m["name"] in empty}


def _isvc(isvc: Manifest, runtime: Manifest) -> Subject:
    notes = _notes(isvc)
    predictor = isvc["spec"]["predictor"]
    model = predictor["model"]
    containers = runtime["spec"]["containers"]
    args = tuple(model.get("args") or [])
    tp = next((a.partition("=")[2] for a in args if a.startswith("--tensor-parallel-size=")), "1")
    dp = next((a.partition("=")[2] for a in args if a.startswith("--data-parallel-size=")), "1")
    mounts = [m for c in containers for m in c.get("volumeMounts") or []]
    return Subject(
        kind="InferenceService",
        model=notes.get("preflight.dev/model", ""),
        gpu=notes.get("preflight.dev/gpu", ""),
        image=str(containers[0].get("image", "")),
        args=args,
        tensor_parallel=int(tp),
        data_parallel=int(dp),
        resources={
            k: str(v) for k, v in (model.get("resources") or {}).get("requests", {}).items()
        },
        node_selector=dict(predictor.get("nodeSelector") or {}),
        containers=tuple(containers),
        mounts=_writable(runtime["spec"].get("volumes") or [], mounts),
        storage_uri=str(model.get("storageUri", "")),
        annotations=notes,
        autoscaler_class=str(notes.get("serving.kserve.io/autoscalerClass", "")),
        deployment_mode=str(notes.get("serving.kserve.io/deploymentMode", "")),
    )


def _llm_workload(llm: Manifest, spec: dict[str, Any], *, kind: str) -> Subject:
    notes = _notes(llm)
    template = spec.get("template") or {}
    containers = template.get("containers") or []
    main: dict[str, Any] = next((c for c in containers if c.get("name") == "main"), {})
    env = {e.get("name"): e.get("value", "") for e in main.get("env") or []}
    mounts = [m for c in containers for m in c.get("volumeMounts") or []]
    requests = (main.get("resources") or {}).get("requests", {})
    args = tuple(shlex.split(str(env.get("VLLM_ADDITIONAL_ARGS", ""))))
    return Subject(
        kind=kind,
        model=notes.get("preflight.dev/model", ""),
        gpu=notes.get("preflight.dev/gpu", ""),
        image=str(main.get("image", "")),
        args=args,
        tensor_parallel=int((spec.get("parallelism") or {}).get("tensor", 1)),
        data_parallel=int((spec.get("parallelism") or {}).get("data", 1)),
        resources={k: str(v) for k, v in requests.items()},
        node_selector=dict(template.get("nodeSelector") or {}),
        containers=tuple(containers),
        mounts=_writable(template.get("volumes") or [], mounts),
        storage_uri=str(llm["spec"].get("model", {}).get("uri", "")),
        annotations=notes,
        scaling="scaling" in spec,
        tensor_in_args=any(a.startswith("--tensor-parallel-size") for a in args),
    )
