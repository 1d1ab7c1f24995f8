"""Check rendered objects before anyone is asked to approve them.

Three checks, each raising a user-facing error with a clear reason:

- custom objects against the ``openAPIV3Schema`` of their real CRD (copies in ``deploy/crds``),
  with Kubernetes' structural-schema rules: ``x-kubernetes-int-or-string`` accepts an integer or
  a string, and an object with declared properties rejects unknown ones unless it carries
  ``x-kubernetes-preserve-unknown-fields`` (the API server would silently prune them);
- core kinds (ConfigMap, PodDisruptionBudget, HorizontalPodAutoscaler …) with
  ``kubernetes-validate``'s offline schemas, strict mode;
- operator policy: namespace allow-list, image allow-list, GPUs within the inventory.

CEL rules (``x-kubernetes-validations``) are not evaluated offline; the server-side dry run is
the final word. This module must not render or talk to a cluster.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from pydantic import Field

from deploy.plan import DeploymentPlan
from deploy.profile import ClusterProfile
from deploy.render import Manifest
from domain.base import Frozen
from domain.errors import InvalidInputError, PolicyViolationError

CRD_DIR = Path(__file__).parent / "crds"
KUBERNETES_VERSION = "1.33"

CRD_FILES: dict[tuple[str, str], str] = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "serving.kserve.io_inferenceservices.yaml",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "serving.kserve.io_servingruntimes.yaml",
    ("serving.kserve.io/v1alpha2", "LLMInferenceService"): (
        "serving.kserve.io_llminferenceservices.yaml"
    ),
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_scaledobjects.yaml",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_triggerauthentications.yaml",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitors.yaml",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
}
_OBJECT_META_KEYS = ("name", "namespace", "labels", "annotations", "generateName")


def structural(schema: Any) -> Any:
    """Translate a CRD schema's Kubernetes extensions into plain JSON Schema.

    Args:
        schema: A (sub)schema from ``openAPIV3Schema``.

    Returns:
        A new schema: int-or-string as ``anyOf`` integer/string; objects with properties closed
        to unknown keys unless they preserve unknown fields.
    """
    if isinstance(schema, list):
        return [structural(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: structural(value) for key, value in schema.items() if not key.startswith("x-")}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and "additionalProperties" not in schema and not preserve:
        out["additionalProperties"] = False
    if schema.get("x-kubernetes-embedded-resource"):
        for key in ("apiVersion", "kind", "metadata"):
            out.setdefault("properties", {}).setdefault(key, {})
    return out


def crd_schema(file: str, version: str, cache_dir: Path | None = None) -> Any:
    """The ``openAPIV3Schema`` of one version of a shipped CRD, from a JSON copy when current.

    Parsing a 2 MB CRD as YAML takes over a second, JSON a few milliseconds; so the first use
    writes the version's schema as JSON into ``cache_dir`` (by default ``.cache`` beside the
    CRDs), named with a digest of the YAML, and later uses read that. A stale, unreadable or
    unwritable copy falls back to the YAML; the shipped YAML is never changed.

    Args:
        file: The CRD file name in :data:`CRD_DIR`.
        version: The CRD version, e.g. ``v1beta1``.
        cache_dir: Where JSON copies live; None is ``CRD_DIR / ".cache"``.

    Returns:
        The schema, as parsed from the CRD.
    """
    source = (CRD_DIR / file).read_bytes()
    folder = CRD_DIR / ".cache" if cache_dir is None else cache_dir
    digest = hashlib.sha256(source).hexdigest()[:16]
    copy = folder / f"{file.removesuffix('.yaml')}.{version}.{digest}.json"
    try:
        return json.loads(copy.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # no current copy yet: parse the YAML below
    crd = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = entry["schema"]["openAPIV3Schema"]
    _write_copy(copy, schema)
    return schema


def _write_copy(copy: Path, schema: Any) -> None:
    """Write a JSON copy atomically; an unwritable folder just means no copy."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        ignore = copy.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# generated JSON copies of the CRD schemas\n*\n", encoding="utf-8")
        partial = copy.with_name(f"{copy.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
        partial.replace(copy)
        for stale in copy.parent.glob(copy.name.replace(copy.name.split(".")[-2], "*")):
            if stale != copy:
                stale.unlink(missing_ok=True)
    except OSError:
        return


@functools.lru_cache(maxsize=16)
def crd_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """Return a validator for one custom kind, built once from its CRD file.

    Args:
        api_version: E.g. ``serving.kserve.io/v1beta1``.
        kind: E.g. ``InferenceService``.

    Returns:
        A Draft 7 validator of the version's structural schema.

    Raises:
        InvalidInputError: When no CRD for that kind and version ships with Preflight.
    """
    file = CRD_FILES.get((api_version, kind))
    if file is None:
        raise InvalidInputError(f"no schema for {kind} {api_version}")
    version = api_version.rsplit("/", 1)[-1]
    schema = structural(crd_schema(file, version))
    schema["properties"]["metadata"] = _object_meta_schema()
    return jsonschema.Draft7Validator(schema)


def _object_meta_schema() -> dict[str, Any]:
    string_map = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "generateName": {"type": "string"},
            "labels": string_map,
            "annotations": string_map,
        },
        "additionalProperties": False,
    }


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:300]}"


def validate_object(manifest: Manifest) -> None:
    """Validate one object against its CRD schema or the core Kubernetes schema.

    Args:
        manifest: One rendered object.

    Raises:
        InvalidInputError: Naming the object, the field and the broken rule.
    """
    api_version, kind = manifest.get("apiVersion", ""), manifest.get("kind", "")
    label = f"{kind} {manifest.get('metadata', {}).get('name', '?')}"
    if (api_version, kind) in CRD_FILES:
        errors = sorted(crd_validator(api_version, kind).iter_errors(manifest), key=str)
        if errors:
            detail = "; ".join(_describe(e) for e in errors[:5])
            raise InvalidInputError(f"{label} does not match its CRD schema: {detail}")
        return
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        raise InvalidInputError(f"{label} is not a valid {kind}: {_describe(exc)}") from exc
    except kubernetes_validate.SchemaNotFoundError as exc:
        raise InvalidInputError(f"{label}: {exc.message}") from exc


def validate_objects(manifests: Sequence[Manifest]) -> None:
    """Validate every object (see :func:`validate_object`).

    Args:
        manifests: The rendered objects.

    Raises:
        InvalidInputError: At the first object that does not validate.
    """
    for manifest in manifests:
        validate_object(manifest)


def image_repository(image: str) -> str:
    """Return an image reference without its tag or digest.

    Args:
        image: E.g. ``vllm/vllm-openai:v0.11.0``.

    Returns:
        E.g. ``vllm/vllm-openai``.
    """
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: len(name) - len(last[-1])] + last[-1].split(":", 1)[0]
    return name


def check_policy(
    plan: DeploymentPlan,
    *,
    allowed_namespaces: Sequence[str],
    allowed_images: Sequence[str],
    gpu_inventory: Mapping[str, int] | None = None,
    allowed_gpus: Sequence[str] = (),
) -> None:
    """Refuse a plan that breaks an operator policy.

    Args:
        plan: The validated plan.
        allowed_namespaces: Namespaces Preflight may deploy to.
        allowed_images: Image repositories (no tag) allowed to run on the plan's platform.
        gpu_inventory: GPUs available per catalog GPU name or family; None skips the check.
        allowed_gpus: Catalog GPU names or families the plan may use; empty = any.

    Raises:
        PolicyViolationError: Naming the policy and what would satisfy it.
    """
    if plan.namespace not in allowed_namespaces:
        raise PolicyViolationError(
            f"namespace {plan.namespace!r} is not allowed",
            hint="allowed: " + ", ".join(allowed_namespaces),
        )
    if image_repository(plan.image) not in allowed_images:
        raise PolicyViolationError(
            f"image {plan.image!r} is not on the allow-list",
            hint="allowed repositories: " + ", ".join(allowed_images),
        )
    if allowed_gpus and not {plan.gpu, plan.gpu_family} & set(allowed_gpus):
        raise PolicyViolationError(
            f"{plan.gpu} is not among the GPUs allowed here",
            hint="allowed: " + ", ".join(allowed_gpus),
        )
    if gpu_inventory is not None:
        _check_inventory(plan, gpu_inventory)


def _check_inventory(plan: DeploymentPlan, inventory: Mapping[str, int]) -> None:
    prefill = plan.total_gpus - plan.replicas * plan.gpus_per_replica  # a prefill pool's GPUs
    needed = plan.gpus_per_replica * max(plan.replicas, plan.min_replicas) + prefill
    have = inventory.get(plan.gpu, inventory.get(plan.gpu_family, 0))
    if needed > have:
        raise PolicyViolationError(
            f"the plan needs {needed} × {plan.gpu} but the inventory has {have}",
            hint="choose fewer replicas, a smaller tensor-parallel size or another GPU",
        )


class PlanChecks(Frozen):
    """Operator policy a plan must meet before anyone is asked to approve it, and the cluster
    profile the pre-flight check (:mod:`deploy.preflight`) judges the objects against."""

    allowed_namespaces: tuple[str, ...] = ("llm-serving",)
    gpu_inventory: dict[str, int] | None = Field(
        default=None, description="GPUs per catalog name or family; None = not checked."
    )
    allowed_gpus: tuple[str, ...] = Field(
        default=(), description="Catalog GPU names or families allowed; empty = any."
    )
    profile: ClusterProfile = Field(default_factory=ClusterProfile)


def validate_plan(plan: DeploymentPlan, manifests: Sequence[Manifest], checks: PlanChecks) -> None:
    """Run the policy checks, then the schema checks, on a plan and its objects.

    Args:
        plan: The validated plan.
        manifests: Its rendered objects.
        checks: The operator policy.

    Raises:
        PolicyViolationError: When a policy is broken.
        InvalidInputError: When an object does not validate.
    """
    check_policy(
        plan,
        allowed_namespaces=checks.allowed_namespaces,
        allowed_images=checks.profile.allowed_images.get(plan.platform.value, ()),
        gpu_inventory=checks.gpu_inventory,
        allowed_gpus=checks.allowed_gpus,
    )
    validate_objects(manifests)
