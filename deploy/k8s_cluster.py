"""The real cluster: the kubernetes Python client, and the only module that imports it.

- access: one ``SubjectAccessReview`` (authorization.k8s.io/v1) per permission needed;
- apply: server-side apply, ``PATCH`` with ``application/apply-patch+yaml``,
  ``fieldManager=preflight`` and ``force=true`` (Preflight owns the fields it renders), first
  with ``dryRun=All``; optionally impersonating the approver (``Impersonate-User``/``-Group``);
- status: the InferenceService's ``Ready`` condition and ``status.url``, its pods, and recent
  warning events;
- delete: each object, a missing one being no error;
- job outcome: a Job's status and, once it ended, its pod's log (the GuideLLM report).

Requests go through ``ApiClient.param_serialize``/``call_api`` (auth, TLS and proxies from the
kubeconfig) with a static table of resources, so no discovery round-trips are needed.

Errors are translated here: a review that cannot be made → ``CouldNotCheckError`` (never
"allowed"); 401/403 on apply → ``PermissionDeniedError``; 400/404/409/422 →
``InvalidInputError``; connection failures and 5xx → ``BackendUnavailableError``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from deploy.cluster import (
    RESOURCES,
    AccessResult,
    ApplyResult,
    DeploymentStatus,
    Identity,
    JobOutcome,
    Permission,
    object_ref,
)
from deploy.render import Manifest
from domain.errors import (
    BackendUnavailableError,
    ConfigurationError,
    CouldNotCheckError,
    InvalidInputError,
    PermissionDeniedError,
)

SERVICE = "kubernetes API"
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"


class ApiReply:
    """A status code and parsed JSON body of one API call."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body

    @property
    def message(self) -> str:
        """The API's own message (a Status object's ``message``), cut short."""
        return str(self.body.get("message", ""))[:300]


def object_path(manifest: Manifest) -> str:
    """Return the REST path of one namespaced object.

    Args:
        manifest: The object.

    Returns:
        E.g. ``/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/name``.
    """
    group, version, plural = RESOURCES[manifest["kind"]]
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    meta = manifest["metadata"]
    return f"{prefix}/namespaces/{meta['namespace']}/{plural}/{meta['name']}"


class KubernetesCluster:
    """A Kubernetes or OpenShift cluster reached through the kubernetes client.

    Args:
        api_client: A configured ``kubernetes.client.ApiClient``.
        timeout_s: Per-request timeout.
    """

    def __init__(self, api_client: k8s.ApiClient, *, timeout_s: float = 10.0) -> None:
        self.api = api_client
        self.timeout_s = timeout_s

    @classmethod
    def from_kubeconfig(
        cls, path: Path | None = None, *, context: str | None = None, timeout_s: float = 10.0
    ) -> KubernetesCluster:
        """Build from a kubeconfig file (or the in-cluster service account when None).

        Args:
            path: Kubeconfig path; None tries ``$KUBECONFIG``/default, then in-cluster config.
            context: Kubeconfig context to use.
            timeout_s: Per-request timeout.

        Returns:
            The cluster.

        Raises:
            ConfigurationError: When no usable configuration is found.
        """
        configuration = k8s.Configuration()
        try:
            if path is None and context is None:
                try:
                    k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                        client_configuration=configuration
                    )
                except (ConfigException, FileNotFoundError):
                    k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
                        client_configuration=configuration
                    )
            else:
                k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=str(path) if path else None,
                    context=context,
                    client_configuration=configuration,
                )
        except (ConfigException, FileNotFoundError) as exc:
            raise ConfigurationError(f"no usable kubeconfig: {exc}") from exc
        configuration.retries = 0
        return cls(k8s.ApiClient(configuration), timeout_s=timeout_s)

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: object = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        impersonate: Identity | None = None,
    ) -> tuple[int, bytes]:
        request = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(query),
            header_params={"Accept": accept, "Content-Type": content_type},
            body=body,
            auth_settings=["BearerToken"],
        )
        method_, url, plain_headers, payload, post = request
        headers = urllib3.HTTPHeaderDict(plain_headers)
        if impersonate is not None:
            headers["Impersonate-User"] = impersonate.user
            for group in impersonate.groups:
                headers.add("Impersonate-Group", group)
        try:
            response = self.api.call_api(
                method_, url, headers, payload, post, _request_timeout=self.timeout_s
            )
            data: bytes = response.read()  # type: ignore[no-untyped-call]
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise BackendUnavailableError(SERVICE, type(exc).__name__) from exc
        except k8s.ApiException as exc:
            raise BackendUnavailableError(SERVICE, f"status {exc.status}") from exc
        return int(response.status), data

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: object = None,
        content_type: str = "application/json",
        impersonate: Identity | None = None,
    ) -> ApiReply:
        status, data = self._send(
            method, path, query=query, body=body, content_type=content_type, impersonate=impersonate
        )
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {"message": data[:300].decode(errors="replace")}
        return ApiReply(status, parsed if isinstance(parsed, dict) else {})

    def check_access(self, *, identity: Identity, needs: Sequence[Permission]) -> AccessResult:
        """Ask the API server, one SubjectAccessReview per permission.

        Args:
            identity: The Kubernetes identity to check.
            needs: The permissions the plan needs.

        Returns:
            Allowed, or the permissions the reviews denied.

        Raises:
            CouldNotCheckError: When any review cannot be made or answers ambiguously.
        """
        missing = []
        for need in needs:
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": {
                    "user": identity.user,
                    "groups": list(identity.groups),
                    "resourceAttributes": {
                        "namespace": need.namespace,
                        "verb": need.verb,
                        "group": need.group,
                        "resource": need.resource,
                    },
                },
            }
            try:
                reply = self._call(
                    "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body=review
                )
            except BackendUnavailableError as exc:
                raise CouldNotCheckError(SERVICE, exc.detail) from exc
            allowed = reply.body.get("status", {}).get("allowed")
            if reply.status not in (200, 201) or not isinstance(allowed, bool):
                raise CouldNotCheckError(
                    SERVICE, f"access review answered {reply.status} {reply.message}".strip()
                )
            if not allowed:
                missing.append(need)
        return AccessResult(allowed=not missing, missing=tuple(missing))

    def apply(
        self,
        *,
        manifests: Sequence[Manifest],
        dry_run: bool,
        field_manager: str = "preflight",
        impersonate: Identity | None = None,
    ) -> ApplyResult:
        """Server-side apply every object, in order (or dry-run them all).

        Args:
            manifests: The objects.
            dry_run: Send ``dryRun=All``: the server validates and admits, persists nothing.
            field_manager: The field manager the server records.
            impersonate: Apply as this identity instead of Preflight's own.

        Returns:
            The objects applied and the API server.

        Raises:
            PermissionDeniedError: 401/403 from the server.
            InvalidInputError: The server rejected an object.
            BackendUnavailableError: No answer, or a 5xx.
        """
        query = [("fieldManager", field_manager), ("force", "true")]
        if dry_run:
            query.append(("dryRun", "All"))
        for manifest in manifests:
            reply = self._call(
                "PATCH",
                object_path(manifest),
                query=query,
                body=manifest,
                content_type=APPLY_CONTENT_TYPE,
                impersonate=impersonate,
            )
            _raise_for(reply, manifest, verb="patch")
        refs = tuple(object_ref(m) for m in manifests)
        return ApplyResult(dry_run=dry_run, applied=refs, location=self.api.configuration.host)

    def status(
        self, *, namespace: str, name: str, kind: str = "InferenceService"
    ) -> DeploymentStatus:
        """Read an (LLM)InferenceService's readiness, URL, pods and warning events.

        Args:
            namespace: Its namespace.
            name: Its name.
            kind: InferenceService or LLMInferenceService.

        Returns:
            The status (``exists=False`` on 404).

        Raises:
            BackendUnavailableError: No answer, or an unexpected status code.
        """
        isvc = {"kind": kind, "metadata": {"namespace": namespace, "name": name}}
        reply = self._call("GET", object_path(isvc))
        if reply.status == 404:
            return DeploymentStatus(exists=False)
        _raise_for(reply, isvc, verb="get")
        status = reply.body.get("status", {})
        conditions = status.get("conditions", [])
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        return DeploymentStatus(
            exists=True,
            ready=ready,
            url=status.get("url"),
            conditions=tuple(
                f"{c.get('type')}={c.get('status')}: {c.get('message', '')}".rstrip(": ")
                for c in conditions
            ),
            pods=self._pods(namespace, name, kind),
            events=self._events(namespace, name),
        )

    def _pods(self, namespace: str, name: str, kind: str) -> tuple[str, ...]:
        selector = f"serving.kserve.io/inferenceservice={name}"
        if kind == "LLMInferenceService":
            selector = (
                f"app.kubernetes.io/name={name},app.kubernetes.io/part-of=llminferenceservice"
            )
        reply = self._call(
            "GET", f"/api/v1/namespaces/{namespace}/pods", query=[("labelSelector", selector)]
        )
        if reply.status != 200:
            return ()
        pods = []
        for pod in reply.body.get("items", []):
            phase = pod.get("status", {}).get("phase", "Unknown")
            for container in pod.get("status", {}).get("containerStatuses", []):
                waiting = container.get("state", {}).get("waiting")
                if waiting:
                    phase = f"{phase} ({waiting.get('reason', 'waiting')})"
            pods.append(f"{pod['metadata']['name']}: {phase}")
        return tuple(pods)

    def _events(self, namespace: str, name: str) -> tuple[str, ...]:
        reply = self._call(
            "GET",
            f"/api/v1/namespaces/{namespace}/events",
            query=[("fieldSelector", "type=Warning")],
        )
        if reply.status != 200:
            return ()
        events = [
            f"{e.get('reason', '')}: {e.get('message', '')}"[:200]
            for e in reply.body.get("items", [])
            if str(e.get("involvedObject", {}).get("name", "")).startswith(name)
        ]
        return tuple(events[-10:])

    def job_outcome(self, *, namespace: str, name: str) -> JobOutcome:
        """Read a Job's status (batch/v1) and, once it ended, its newest pod's log.

        Pods of a Job carry the label ``job-name=<name>`` (Kubernetes docs, "Jobs": the
        ``batch.kubernetes.io/job-name`` label and its older ``job-name`` twin, both set).

        Args:
            namespace: The Job's namespace.
            name: Its name.

        Returns:
            absent (404), running, succeeded or failed (with the log).

        Raises:
            BackendUnavailableError: No answer, or an unexpected status code.
        """
        job = {"kind": "Job", "metadata": {"namespace": namespace, "name": name}}
        reply = self._call("GET", object_path(job))
        if reply.status == 404:
            return JobOutcome(state="absent")
        _raise_for(reply, job, verb="get")
        status = reply.body.get("status", {})
        if not status.get("succeeded") and not status.get("failed"):
            return JobOutcome(state="running", detail=f"{status.get('active', 0)} pod(s) active")
        conditions = [
            f"{c.get('type')}: {c.get('message') or c.get('reason') or ''}".rstrip(": ")
            for c in status.get("conditions", [])
        ]
        return JobOutcome(
            state="succeeded" if status.get("succeeded") else "failed",
            log=self._job_log(namespace, name),
            detail="; ".join(conditions)[:300],
        )

    def _job_log(self, namespace: str, name: str) -> str:
        pods = self._call(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods",
            query=[("labelSelector", f"job-name={name}")],
        )
        items = pods.body.get("items", []) if pods.status == 200 else []
        if not items:
            return ""
        pod = items[-1]["metadata"]["name"]
        status, data = self._send(
            "GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", accept="text/plain, */*"
        )
        return data.decode(errors="replace") if status == 200 else ""

    def delete(self, *, manifests: Sequence[Manifest]) -> None:
        """Delete each object, last first; objects already gone are skipped.

        Args:
            manifests: The objects.

        Raises:
            PermissionDeniedError: 401/403 from the server.
            BackendUnavailableError: No answer, or a 5xx.
        """
        for manifest in reversed(manifests):
            reply = self._call(
                "DELETE", object_path(manifest), query=[("propagationPolicy", "Foreground")]
            )
            if reply.status != 404:
                _raise_for(reply, manifest, verb="delete")


def _raise_for(reply: ApiReply, manifest: Manifest, *, verb: str) -> None:
    if 200 <= reply.status < 300:
        return
    ref = object_ref(manifest)
    group, _, plural = RESOURCES[manifest["kind"]]
    namespace = manifest["metadata"]["namespace"]
    if reply.status in (401, 403):
        need = Permission(verb=verb, group=group, resource=plural, namespace=namespace)
        raise PermissionDeniedError(f"the cluster refused to {verb} {ref}", missing=[str(need)])
    if reply.status == 404:
        raise InvalidInputError(
            f"the cluster does not serve {manifest['kind']} ({reply.message})",
            hint="is KServe/KEDA/prometheus-operator installed?",
        )
    if reply.status in (400, 409, 422):
        raise InvalidInputError(f"the cluster rejected {ref}: {reply.message}")
    raise BackendUnavailableError(SERVICE, f"{verb} {ref} answered {reply.status}")
