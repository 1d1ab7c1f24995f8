"""The cluster port: what the deployment service needs from a Kubernetes cluster.

Five keyword-only methods — check access, apply (dry-run or for real), read status, delete, and
read a Job's outcome (the GuideLLM measuring Job) —
implemented by :mod:`deploy.dryrun_cluster` (the embedded default: a folder) and
:mod:`deploy.k8s_cluster` (the kubernetes client). The value types they exchange, and
:func:`permissions_needed` (which verbs on which resources a set of objects needs), live here.

Errors an implementation may raise: ``CouldNotCheckError`` when an access check cannot be made,
``BackendUnavailableError`` when the API does not answer, ``PermissionDeniedError`` when it
refuses, ``InvalidInputError`` when it rejects an object. This module must not import any SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import Field

from deploy.render import Manifest
from domain.base import Frozen

# (group, version, plural) of every kind Preflight renders, for URLs and access reviews.
RESOURCES: dict[str, tuple[str, str, str]] = {
    "ServingRuntime": ("serving.kserve.io", "v1alpha1", "servingruntimes"),
    "InferenceService": ("serving.kserve.io", "v1beta1", "inferenceservices"),
    "LLMInferenceService": ("serving.kserve.io", "v1alpha2", "llminferenceservices"),
    "ScaledObject": ("keda.sh", "v1alpha1", "scaledobjects"),
    "TriggerAuthentication": ("keda.sh", "v1alpha1", "triggerauthentications"),
    "HorizontalPodAutoscaler": ("autoscaling", "v2", "horizontalpodautoscalers"),
    "PodMonitor": ("monitoring.coreos.com", "v1", "podmonitors"),
    "ServiceMonitor": ("monitoring.coreos.com", "v1", "servicemonitors"),
    "ConfigMap": ("", "v1", "configmaps"),
    "PodDisruptionBudget": ("policy", "v1", "poddisruptionbudgets"),
    "Job": ("batch", "v1", "jobs"),  # the GuideLLM measuring Job (deploy.measure_job)
}
APPLY_VERBS = ("get", "create", "patch")


class Permission(Frozen):
    """One verb on one resource in one namespace."""

    verb: str
    group: str
    resource: str
    namespace: str

    def __str__(self) -> str:
        group = f".{self.group}" if self.group else ""
        return f"{self.verb} {self.resource}{group} in {self.namespace}"


class Identity(Frozen):
    """A Kubernetes identity (what a chat user is mapped to)."""

    user: str = Field(min_length=1)
    groups: tuple[str, ...] = ()


class AccessResult(Frozen):
    """The answer of an access check: allowed, or the permissions that are missing."""

    allowed: bool
    missing: tuple[Permission, ...] = ()


class ApplyResult(Frozen):
    """What an apply (or dry run) did."""

    dry_run: bool
    applied: tuple[str, ...] = Field(default=(), description="'Kind/name' of each object.")
    location: str = Field(default="", description="Where it went: a folder or an API server.")


class DeploymentStatus(Frozen):
    """How a deployed InferenceService (or LLMInferenceService) is doing."""

    exists: bool
    ready: bool = False
    url: str | None = None
    conditions: tuple[str, ...] = Field(default=(), description="'Type=Status: message'.")
    pods: tuple[str, ...] = Field(default=(), description="'name: phase' of its pods.")
    events: tuple[str, ...] = Field(default=(), description="Recent warning events.")


class JobOutcome(Frozen):
    """How a Job Preflight started is doing; once it has ended, its pod's log."""

    state: Literal["absent", "running", "succeeded", "failed"]
    log: str = Field(default="", description="The pod's log (empty while it runs).")
    detail: str = Field(default="", description="One line: active pods, a condition, a path.")


class Cluster(Protocol):
    """Where deployments go."""

    def check_access(
        self, *, identity: Identity, needs: Sequence[Permission]
    ) -> AccessResult:  # pragma: no cover - protocol
        """Ask whether ``identity`` holds every permission in ``needs``."""
        ...

    def apply(
        self,
        *,
        manifests: Sequence[Manifest],
        dry_run: bool,
        field_manager: str = "preflight",
        impersonate: Identity | None = None,
    ) -> ApplyResult:  # pragma: no cover - protocol
        """Server-side apply the objects (or only dry-run them)."""
        ...

    def status(
        self, *, namespace: str, name: str, kind: str = "InferenceService"
    ) -> DeploymentStatus:  # pragma: no cover - protocol
        """Read the readiness of one (LLM)InferenceService, its pods and events."""
        ...

    def delete(self, *, manifests: Sequence[Manifest]) -> None:  # pragma: no cover - protocol
        """Delete the objects (missing ones are not an error)."""
        ...

    def job_outcome(self, *, namespace: str, name: str) -> JobOutcome:  # pragma: no cover
        """Read whether a Job runs, succeeded or failed, with its pod's log once it ended."""
        ...


def permissions_needed(
    manifests: Sequence[Manifest], *, verbs: Sequence[str] = APPLY_VERBS
) -> list[Permission]:
    """Return every permission acting on ``manifests`` needs: by default get, create and patch.

    Args:
        manifests: The objects to apply (or delete).
        verbs: The verbs needed on each kind.

    Returns:
        Distinct permissions, in the order of the objects.
    """
    seen: dict[Permission, None] = {}
    for manifest in manifests:
        group, _, plural = RESOURCES[manifest["kind"]]
        namespace = manifest["metadata"]["namespace"]
        for verb in verbs:
            seen[Permission(verb=verb, group=group, resource=plural, namespace=namespace)] = None
    return list(seen)


def object_ref(manifest: Manifest) -> str:
    """Return ``Kind/name`` of an object.

    Args:
        manifest: The object.

    Returns:
        E.g. ``InferenceService/llama-3-1-8b-h100``.
    """
    return f"{manifest['kind']}/{manifest['metadata']['name']}"
