"""Read a vLLM deployment's own Prometheus metrics through the Prometheus HTTP API.

vLLM exports histograms and gauges on ``/metrics`` (vLLM docs, "Production Metrics",
docs.vllm.ai/en/latest/usage/metrics.html; names as in ``vllm/v1/metrics/loggers.py``):
``vllm:time_to_first_token_seconds``, ``vllm:time_per_output_token_seconds`` (inter-token
latency), ``vllm:request_queue_time_seconds``, ``vllm:request_prompt_tokens`` (histograms),
``vllm:kv_cache_usage_perc`` (gauge, 0-1; ``vllm:gpu_cache_usage_perc`` before vLLM V1) and
``vllm:request_success_total`` (counter). :class:`PrometheusMetrics` asks Prometheus (``GET
/api/v1/query``, prometheus.io/docs/prometheus/latest/querying/api/) for p95s with
``histogram_quantile`` over a window and returns one :class:`~deploy.drift_watch.Snapshot`.

This is the only module that imports httpx for Prometheus; errors leave it as
:class:`~domain.errors.BackendUnavailableError`.
"""

from __future__ import annotations

import math

import httpx

from deploy.drift_watch import Snapshot
from domain.errors import BackendUnavailableError

_P95 = "histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{{selector}}}[{window}])))"
_MEAN = (
    "sum(rate({metric}_sum{{{selector}}}[{window}])) / "
    "sum(rate({metric}_count{{{selector}}}[{window}]))"
)


class PrometheusMetrics:
    """vLLM's metrics of one deployment, read from Prometheus.

    Args:
        url: Prometheus (or Thanos querier) base URL.
        selector: Label matchers of the deployment's pods, e.g. ``namespace="a",job="b"``.
        window: Range of the rates, e.g. ``5m``.
        transport: An httpx transport (tests may pass one); the network when None.
        timeout_s: Seconds per query.
    """

    def __init__(
        self,
        *,
        url: str,
        selector: str = "",
        window: str = "5m",
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._client = httpx.Client(base_url=url, transport=transport, timeout=timeout_s)
        self._selector = selector
        self._window = window

    def close(self) -> None:
        """Release the HTTP client."""
        self._client.close()

    def query(self, promql: str) -> float | None:
        """One instant query's single value.

        Args:
            promql: The expression (must return one series or none).

        Returns:
            The value, or None when there is no data (or it is not a number).

        Raises:
            BackendUnavailableError: When Prometheus cannot be reached or refuses the query.
        """
        try:
            response = self._client.get("/api/v1/query", params={"query": promql})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendUnavailableError("Prometheus", f"query failed: {exc}") from exc
        if body.get("status") != "success":
            raise BackendUnavailableError("Prometheus", f"query refused: {body.get('error')}")
        result = body["data"]["result"]
        if not result:
            return None
        value = float(result[0]["value"][1])
        return value if math.isfinite(value) else None

    def _fmt(self, template: str, metric: str) -> str:
        return template.format(metric=metric, selector=self._selector, window=self._window)

    def snapshot(self) -> Snapshot:
        """The deployment's current p95s, load, prompt size and KV-cache use.

        Returns:
            What Prometheus knows now (None where it has no data yet).
        """
        selector = self._selector
        kv = self.query(f"max(vllm:kv_cache_usage_perc{{{selector}}})")
        if kv is None:
            kv = self.query(f"max(vllm:gpu_cache_usage_perc{{{selector}}})")
        ttft = self.query(self._fmt(_P95, "vllm:time_to_first_token_seconds"))
        itl = self.query(self._fmt(_P95, "vllm:time_per_output_token_seconds"))
        queue = self.query(self._fmt(_P95, "vllm:request_queue_time_seconds"))
        return Snapshot(
            ttft_ms_p95=None if ttft is None else ttft * 1000,
            itl_ms_p95=None if itl is None else itl * 1000,
            queue_ms_p95=None if queue is None else queue * 1000,
            kv_cache_usage=kv,
            requests_per_s=self.query(
                f"sum(rate(vllm:request_success_total{{{selector}}}[{self._window}]))"
            ),
            prompt_tokens_mean=self.query(self._fmt(_MEAN, "vllm:request_prompt_tokens")),
        )
