"""What the target cluster is like: images per platform, KServe version, placement, monitoring.

A :class:`ClusterProfile` is built once from the operator's settings (``bot/deploy_wiring``) and
handed to :func:`deploy.plan.plan_for`; every entry point — chat, CLI render/export/apply — uses
the same one, so the same option renders the same objects everywhere. Its defaults describe a
plain upstream cluster: KServe 0.15 with the kustomize install, kube-prometheus-stack, the NVIDIA,
AMD and Intel device plugins with their standard labels, Pod Security "restricted".

This module must not render, read settings or talk to a cluster; it only holds checked values.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from deploy.gpus import INTEL_GPU_RESOURCES, Platform
from domain.base import Frozen

KSERVE_VERSION = r"^0\.(1[0-9]|2[0-9])$"
LABEL_KEY = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
SECRET_NAME = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$"
# An image reference's tag (opencontainers/distribution-spec spec.md: [a-zA-Z0-9_][a-zA-Z0-9._-]
# {0,127}) or a sha256 digest.
OCI_REFERENCE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64}")

LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY, max_length=253)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE, max_length=63)]
SecretName = Annotated[str, StringConstraints(pattern=SECRET_NAME, max_length=253)]

DEFAULT_CUDA_IMAGE = "vllm/vllm-openai:v0.11.0"
_CUDA_REPOSITORIES: tuple[str, ...] = ("vllm/vllm-openai",)


class Toleration(Frozen):
    """One pod toleration (``core/v1`` Toleration)."""

    key: LabelKey
    operator: Literal["Exists", "Equal"] = "Exists"
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute", ""] = "NoSchedule"


class ClusterProfile(Frozen):
    """Facts about the cluster a plan is for; each one a setting of ``ClusterSettings``."""

    images: dict[str, str] = Field(
        default_factory=lambda: {Platform.CUDA.value: DEFAULT_CUDA_IMAGE},
        description="vLLM image per platform: cuda, cuda-arm64 (Grace nodes), rocm, hpu, xpu.",
    )
    allowed_images: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {Platform.CUDA.value: _CUDA_REPOSITORIES},
        description="Image repositories (no tag) allowed per platform; a repository under another "
        "platform's key is refused for this one.",
    )
    arm64_images: tuple[str, ...] = Field(
        default=(),
        description="Image repositories or references the operator knows are built for arm64.",
    )
    kserve_version: str = Field(default="0.15", pattern=KSERVE_VERSION)
    node_labels: dict[str, dict[LabelKey, LabelValue]] = Field(
        default_factory=dict,
        description="Catalog GPU name or family → node labels; replaces the built-in table entry.",
    )
    tolerations: tuple[Toleration, ...] = Field(
        default=(), description="Tolerations added to every model pod (beyond the GPU taint)."
    )
    intel_gpu_resource: str = Field(default=INTEL_GPU_RESOURCES[0])
    monitoring_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Labels the Prometheus podMonitorSelector needs, e.g. release: kube-prom.",
    )
    llm_probe_scheme: Literal["HTTP", "HTTPS"] = Field(
        default="HTTP",
        description="Scheme of vLLM on LLMInferenceService: HTTPS only when KServe's "
        "enableLLMInferenceServiceTLS is on.",
    )
    storage_secret_annotation: str = Field(
        default="serving.kserve.io/storageSecretName",
        pattern=LABEL_KEY,
        description="KServe's credentials.storageSecretNameAnnotation (kustomize default; Helm "
        "installs use serving.kserve.io/secretName).",
    )
    model_oci_repository: str = Field(
        default="",
        pattern=r"^$|^[a-z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9._-]+)*$",
        description="Registry and path of KServe modelcar images (oci://): org/name is "
        "<repository>/org/name, lower-cased (the convention of knowledge/oci_registry.py), at its "
        "pinned tag or digest (model_oci_tags); empty = none. A PVC cache, when set, is used "
        "first.",
    )
    model_oci_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Model id → tag or sha256 digest of its modelcar image under "
        "model_oci_repository; a model without one is downloaded from the Hub (a moving "
        "':latest' is never deployed: the weights an approval binds must not change under it).",
    )
    model_cache_pvc: SecretName = Field(
        default="",
        description="PVC holding the weights under /<model id> (pvc://); empty = download from "
        "the Hub into the pod's ephemeral storage.",
    )
    wva_autoscaling: bool = Field(
        default=False,
        description="KServe's Workload Variant Autoscaler is set up (inferenceservice-config key "
        "autoscaling-wva-controller-config, KServe >= 0.18): LLMInferenceService scales through "
        "its native spec.scaling; otherwise it runs the sized replicas.",
    )
    keda_auth_secret: SecretName = Field(
        default="",
        description="Secret (key 'token') whose bearer token KEDA's Prometheus triggers send, "
        "through a rendered TriggerAuthentication, asking per namespace (OpenShift's Thanos "
        "querier); empty = an unauthenticated Prometheus.",
    )
    keda_ca_config_map: SecretName = Field(
        default="",
        description="ConfigMap whose key keda_ca_key holds the CA that signs the Prometheus "
        "querier's certificate, handed to KEDA's triggers as their 'ca' (OpenShift injects "
        "openshift-service-ca.crt, key service-ca.crt, into every namespace); empty = none.",
    )
    keda_ca_key: str = Field(
        default="service-ca.crt",
        pattern=r"^[-._a-zA-Z0-9]{1,253}$",
        description="Key of keda_ca_config_map holding the PEM CA.",
    )
    run_as_user: int = Field(
        default=1001,
        ge=0,
        description="UID of the vLLM container; 0 = let the platform assign one (OpenShift).",
    )

    @field_validator("model_oci_tags")
    @classmethod
    def _pinned(cls, value: dict[str, str]) -> dict[str, str]:
        for model, ref in value.items():
            if not OCI_REFERENCE.fullmatch(ref) or ref == "latest":
                raise ValueError(
                    f"{model}: {ref!r} is not a pinned tag or digest (OCI distribution-spec tag "
                    "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}, or sha256:<64 hex>; not 'latest')"
                )
        return value

    @field_validator("intel_gpu_resource")
    @classmethod
    def _intel(cls, value: str) -> str:
        if value not in INTEL_GPU_RESOURCES:
            raise ValueError(f"must be one of {', '.join(INTEL_GPU_RESOURCES)}")
        return value

    def kserve_at_least(self, version: str) -> bool:
        """Whether the cluster's KServe is at least ``version`` (``0.N``)."""
        return _minor(self.kserve_version) >= _minor(version)

    def image_for(self, platform: Platform, *, arm64: bool) -> str:
        """Return the configured image of a platform ("" when none is configured).

        Args:
            platform: The platform.
            arm64: Whether the nodes are arm64 (a ``<platform>-arm64`` image is preferred).

        Returns:
            The image reference, or "".
        """
        if arm64 and f"{platform.value}-arm64" in self.images:
            return self.images[f"{platform.value}-arm64"]
        return self.images.get(platform.value, "")


def _minor(version: str) -> int:
    return int(version.split(".")[1])
