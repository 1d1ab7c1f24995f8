"""The Grafana dashboard for one deployment's vLLM metrics, as the JSON Grafana imports.

The Grafana sidecar loads any ConfigMap labelled ``grafana_dashboard: "1"``; the renderer puts
this JSON in one. Queries select the deployment by namespace and vLLM's ``model_name`` label.

This module must not render YAML or know about Kubernetes objects; it only builds the JSON.
"""

from __future__ import annotations

import hashlib
import json

# (panel title, unit, PromQL with {sel} for the label selector)
PANELS: tuple[tuple[str, str, str], ...] = (
    ("Requests running", "short", "sum(vllm:num_requests_running{{{sel}}})"),
    ("Requests waiting", "short", "sum(vllm:num_requests_waiting{{{sel}}})"),
    ("KV-cache usage", "percentunit", "avg(vllm:kv_cache_usage_perc{{{sel}}})"),
    (
        "Time to first token p95",
        "s",
        "histogram_quantile(0.95, sum by (le) "
        "(rate(vllm:time_to_first_token_seconds_bucket{{{sel}}}[5m])))",
    ),
    (
        "Inter-token latency p95",
        "s",
        "histogram_quantile(0.95, sum by (le) "
        "(rate(vllm:inter_token_latency_seconds_bucket{{{sel}}}[5m])))",
    ),
    (
        "End-to-end latency p95",
        "s",
        "histogram_quantile(0.95, sum by (le) "
        "(rate(vllm:e2e_request_latency_seconds_bucket{{{sel}}}[5m])))",
    ),
    ("Generated tokens/s", "short", "sum(rate(vllm:generation_tokens_total{{{sel}}}[1m]))"),
    ("Prompt tokens/s", "short", "sum(rate(vllm:prompt_tokens_total{{{sel}}}[1m]))"),
    ("Preemptions/s", "short", "sum(rate(vllm:num_preemptions_total{{{sel}}}[5m]))"),
)


def selector(namespace: str, served_model_name: str, *, job: str) -> str:
    """Return the PromQL label selector of one deployment's vLLM series (its own pods only).

    Args:
        namespace: The deployment's namespace (validated DNS-1123).
        served_model_name: The name vLLM reports as ``model_name`` (validated id).
        job: The scrape job of the deployment's own PodMonitor: prometheus-operator names a
            PodMonitor's job ``<namespace>/<name>``, so other deployments of the same model in
            the namespace are not selected.

    Returns:
        E.g. ``namespace="llm-serving",model_name="meta-llama/Llama-3.1-8B",job="llm-serving/x"``.
    """
    return f'namespace="{namespace}",model_name="{served_model_name}",job="{job}"'


def dashboard_uid(namespace: str, name: str) -> str:
    """Return the dashboard uid Grafana links use (at most 40 characters, unique per namespace).

    Args:
        namespace: The deployment's namespace.
        name: The deployment name.

    Returns:
        ``pf-``, the name cut to 28 characters, and 8 hex digits of the namespace/name hash.
    """
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:8]
    return f"pf-{name[:28]}-{digest}"


def dashboard_json(*, name: str, namespace: str, served_model_name: str, job: str) -> str:
    """Build the Grafana dashboard of one deployment.

    Args:
        name: The deployment name (the dashboard title and uid).
        namespace: Its namespace.
        served_model_name: vLLM's ``model_name`` label value.
        job: The scrape job of its PodMonitor (see :func:`selector`).

    Returns:
        The dashboard as compact, key-sorted JSON.
    """
    sel = selector(namespace, served_model_name, job=job)
    panels = []
    for index, (title, unit, query) in enumerate(PANELS):
        panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "expr": query.format(sel=sel)}],
            }
        )
    board = {
        "uid": dashboard_uid(namespace, name),
        "title": f"vLLM · {name} ({namespace})",
        "tags": ["preflight", "vllm"],
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "panels": panels,
    }
    return json.dumps(board, sort_keys=True, separators=(",", ":"))
