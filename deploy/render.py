"""Render a validated :class:`~deploy.plan.DeploymentPlan` into Kubernetes objects.

Jinja2 with ``StrictUndefined`` and no autoescape (the output is YAML); every string a person
could have influenced goes through ``tojson``, so it lands as one quoted YAML scalar whatever it
holds. Only the plan and values derived from it here reach a template. The objects come back as
plain dicts (parsed from the rendered YAML), in apply order; :func:`manifest_hash` is the
sha256 an approval binds to.

This module must not validate against schemas, check policy or talk to a cluster.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from deploy.dashboard import dashboard_json, selector
from deploy.flags import vllm_flags
from deploy.plan import Autoscaler, DeploymentPlan, Target
from deploy.pools import ROLE_LABEL, Pool, pools
from deploy.sizing import CACHE_GIB

Manifest = dict[str, Any]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TEMPLATE_DIR = Path(__file__).parent / "templates"
# Annotations stamped after approval; they are not part of what an approval binds to.
APPROVAL_ANNOTATIONS = ("preflight.dev/approved-by", "preflight.dev/approved-at")
STANDARD_MODE_MIN_MINOR = 16  # KServe 0.16 renames RawDeployment to Standard


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def _replica_bounds(plan: DeploymentPlan) -> tuple[int, int]:
    if plan.autoscaler is Autoscaler.NONE:
        return plan.replicas, plan.replicas
    return plan.min_replicas, max(plan.max_replicas, plan.replicas)


def service_kind(plan: DeploymentPlan) -> str:
    """Return the kind of the object that serves the model (what readiness is read from).

    Args:
        plan: The validated plan.

    Returns:
        ``InferenceService`` or ``LLMInferenceService``.
    """
    return (
        "LLMInferenceService" if plan.target is Target.LLM_INFERENCE_SERVICE else "InferenceService"
    )


def pod_selector(plan: DeploymentPlan) -> dict[str, str]:
    """Return the labels KServe puts on the plan's model pods (for monitors and the PDB).

    Args:
        plan: The validated plan.

    Returns:
        InferenceService: its ``serving.kserve.io/inferenceservice`` label; LLMInferenceService:
        the workload selector of KServe's llmisvc controller.
    """
    if plan.target is Target.LLM_INFERENCE_SERVICE:
        return {
            "app.kubernetes.io/name": plan.name,
            "app.kubernetes.io/part-of": "llminferenceservice",
            "kserve.io/component": "workload",
        }
    return {"serving.kserve.io/inferenceservice": plan.name}


def _autoscaler_class(plan: DeploymentPlan) -> str:
    """KServe's autoscalerClass annotation: 'none' exists from KServe 0.16; before it, leave the
    default (an HPA with min = max replicas does not scale)."""
    if plan.autoscaler is not Autoscaler.NONE:
        return "external"
    return "none" if _minor(plan.kserve_version) >= 16 else ""


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def deployment_mode(plan: DeploymentPlan) -> str:
    """KServe's deploymentMode annotation: ``Standard`` from KServe 0.16, which deprecates
    ``RawDeployment`` for it (kserve pkg/constants/constants.go at v0.16.0: ``LegacyRawDeployment
    … // deprecated: use Standard``); ``RawDeployment`` before (v0.15.0 has no ``Standard``)."""
    return "Standard" if _minor(plan.kserve_version) >= STANDARD_MODE_MIN_MINOR else "RawDeployment"


def _monitors(plan: DeploymentPlan, workloads: list[Pool]) -> list[dict[str, object]]:
    """One PodMonitor per port vLLM listens on: the runtime's named port ``http1`` (8080) for an
    InferenceService, 8000 for one llm-d pool; decode pods (vLLM on 8001) and prefill pods apart,
    each selected by its ``llm-d.ai/role``. The first one's job is what queries select."""
    base = pod_selector(plan)
    if not workloads:
        return [
            {"name": plan.name + "-metrics", "selector": base, "port": 8080, "port_name": "http1"}
        ]
    if len(workloads) == 1:
        return [{"name": plan.name + "-metrics", "selector": base, "port": 8000, "port_name": ""}]
    return [
        {
            "name": plan.name + ("-metrics" if w.role == "decode" else "-prefill-metrics"),
            "selector": {**base, ROLE_LABEL: w.role},
            "port": w.vllm_port,
            "port_name": "",
        }
        for w in workloads
    ]


def _context(plan: DeploymentPlan) -> dict[str, object]:
    low, high = _replica_bounds(plan)
    monitor = plan.name + "-metrics"
    sel = selector(plan.namespace, plan.served_model_name, job=f"{plan.namespace}/{monitor}")
    llm_d = plan.target is Target.LLM_INFERENCE_SERVICE
    workloads = pools(plan) if llm_d else []
    return {
        "pod_selector": pod_selector(plan),
        "pools": workloads,
        "monitors": _monitors(plan, workloads),
        "monitor_name": monitor,
        "p": plan,
        "runtime_name": plan.name + "-vllm",
        "trigger_auth_name": plan.name + "-prometheus-auth",
        "vllm_flags": vllm_flags(plan),
        "min_replicas": low,
        "max_replicas": high,
        "autoscaler_class": _autoscaler_class(plan),
        "deployment_mode": deployment_mode(plan),
        "cache_gib": CACHE_GIB,
        "queue_query": f"sum(vllm:num_requests_waiting{{{sel}}})",
        "kv_query": f"sum(vllm:kv_cache_usage_perc{{{sel}}})",
        "kv_quantity": f"{round(plan.kv_cache_target * 1000)}m",
        "dashboard_json": dashboard_json(
            name=plan.name,
            namespace=plan.namespace,
            served_model_name=plan.served_model_name,
            job=f"{plan.namespace}/{monitor}",
        ),
    }


def template_names(plan: DeploymentPlan) -> list[str]:
    """Return the templates a plan needs, in apply order (runtime before the service using it).

    Args:
        plan: The validated plan.

    Returns:
        Template file names under ``deploy/templates``.
    """
    if plan.target is Target.LLM_INFERENCE_SERVICE:
        return [
            "llminferenceservice.yaml.j2",
            "podmonitor.yaml.j2",
            *(["podmonitor-prefill.yaml.j2"] if plan.prefill is not None else []),
            "dashboard.yaml.j2",
            "pdb.yaml.j2",
        ]
    names = ["servingruntime.yaml.j2", "inferenceservice.yaml.j2"]
    if plan.autoscaler is Autoscaler.KEDA and (plan.keda_auth_secret or plan.keda_ca_config_map):
        names.append("triggerauthentication.yaml.j2")  # before the ScaledObject that uses it
    if plan.autoscaler is Autoscaler.KEDA:
        names.append("scaledobject.yaml.j2")
    elif plan.autoscaler is Autoscaler.HPA:
        names.append("hpa.yaml.j2")
    names += ["podmonitor.yaml.j2", "dashboard.yaml.j2", "pdb.yaml.j2"]
    return names


def render(plan: DeploymentPlan) -> list[Manifest]:
    """Render every object of a plan.

    Args:
        plan: The validated plan.

    Returns:
        One dict per Kubernetes object, in apply order.
    """
    env = _environment()
    context = _context(plan)
    manifests: list[Manifest] = []
    for name in template_names(plan):
        text = env.get_template(name).render(**context)
        manifests.append(yaml.load(text, Loader=_LOADER))
    return manifests


def to_yaml(manifests: Sequence[Manifest]) -> str:
    """Serialise objects as one multi-document YAML text (stable key order).

    Args:
        manifests: The objects.

    Returns:
        YAML documents separated by ``---``.
    """
    return yaml.dump_all(
        list(manifests), Dumper=_DUMPER, sort_keys=True, default_flow_style=False, width=120
    )


def canonical_json(manifests: Sequence[Manifest]) -> str:
    """Return the canonical JSON of objects, without the approval stamps.

    Args:
        manifests: The objects.

    Returns:
        Compact, key-sorted JSON of the list.
    """
    return json.dumps(
        [_unstamped(m) for m in manifests], sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )


def manifest_hash(manifests: Sequence[Manifest]) -> str:
    """Return the sha256 an approval binds to: any change to any object changes it.

    Args:
        manifests: The objects as rendered (approval stamps are ignored).

    Returns:
        64 hex digits.
    """
    return hashlib.sha256(canonical_json(manifests).encode()).hexdigest()


def stamp_approval(
    manifests: Sequence[Manifest], *, approvers: Sequence[str], at: str
) -> list[Manifest]:
    """Return copies of the objects annotated with who approved them and when.

    Args:
        manifests: The approved objects.
        approvers: Chat identities of the approvers.
        at: ISO-8601 time of the (last) approval.

    Returns:
        New objects; :func:`manifest_hash` of them equals that of the input.
    """
    stamped = []
    for manifest in manifests:
        copy = json.loads(json.dumps(manifest))
        notes = copy["metadata"].setdefault("annotations", {})
        notes[APPROVAL_ANNOTATIONS[0]] = ",".join(approvers)
        notes[APPROVAL_ANNOTATIONS[1]] = at
        stamped.append(copy)
    return stamped


def _unstamped(manifest: Manifest) -> Manifest:
    notes = manifest.get("metadata", {}).get("annotations")
    if not notes or not any(key in notes for key in APPROVAL_ANNOTATIONS):
        return manifest
    copy: Manifest = json.loads(json.dumps(manifest))
    for key in APPROVAL_ANNOTATIONS:
        copy["metadata"]["annotations"].pop(key, None)
    return copy
