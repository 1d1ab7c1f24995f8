"""The scalar fast path of :func:`simulate.step_time.step_s`, for the discrete-event scheduler.

The scheduler prices thousands of single steps per run; numpy's per-call overhead dominates at
that size, so :class:`ScalarStep` precomputes the same terms' coefficients for one replica and
combines them exactly as :func:`~simulate.step_time.step_s` does, on plain floats. No I/O here.
"""

from __future__ import annotations

import numpy as np

from simulate.step_time import (
    ROOFLINE_SHARPNESS,
    Arr,
    Efficiency,
    ReplicaCosts,
    allreduce_bytes_s,
    allreduce_count,
    expert_alltoall_s,
    moe_slowdown,
    step_overhead_s,
)


def _ridge_scalar(memory_s: float, prompt_s: float) -> float:
    """:func:`~simulate.step_time.ridge_penalty` on plain floats."""
    if prompt_s <= 0.0:
        return 0.0
    hi = max(memory_s, prompt_s, 1e-30)
    p = ROOFLINE_SHARPNESS
    return float(hi * (((memory_s / hi) ** p + (prompt_s / hi) ** p) ** (1.0 / p) - 1.0))


class ScalarStep:
    """``step_s`` for one replica on plain floats: the scheduler prices thousands of steps.

    Same terms, same combination; precomputed coefficients make one call about a microsecond.
    """

    def __init__(self, costs: ReplicaCosts, eff: Efficiency) -> None:
        """Precompute the coefficients of one replica.

        Args:
            costs: The replica (0-d or 1-element arrays).
            eff: Its efficiencies (0-d or 1-element arrays).
        """

        def one(value: Arr) -> float:
            return float(np.asarray(value).reshape(-1)[0])

        tp, hbm, flops = one(costs.tp), one(costs.hbm_bytes_per_s), one(costs.flops_per_s)
        mem_eff = one(eff.memory)
        self._dense_s = one(costs.dense_weight_bytes) / (tp * hbm * mem_eff)
        self._expert_s = one(costs.expert_bytes) / (tp * hbm * mem_eff)
        self._experts = one(costs.experts)
        self._miss = 1.0 - one(costs.top_k) / max(self._experts, 1.0)
        self._kv_s = one(costs.kv_bytes_per_token) / (
            one(costs.kv_shards) * hbm * one(eff.kv_memory)
        )
        matmul = 2.0 * one(costs.active_params) / (tp * flops) * one(moe_slowdown(costs, eff))
        attn = one(costs.attn_flops_per_pair) / (tp * flops)
        self._dec_s, self._ctx_s = matmul / one(eff.decode), attn / one(eff.decode)
        self._pre_s, self._pairs_s = matmul / one(eff.prefill), attn / one(eff.prefill)
        self._comm_s = one(allreduce_bytes_s(costs, 1.0)) + one(expert_alltoall_s(costs, 1.0))
        self._seq_s = one(eff.per_seq_s)
        self._fixed_s = one(allreduce_count(costs)) * one(eff.allreduce_latency_s) + one(
            step_overhead_s(costs, eff.overhead_s, eff.per_layer_s)
        )

    def __call__(
        self, decode_seqs: float, context_tokens: float, prefill_tokens: float, prefill_pairs: float
    ) -> float:
        """Seconds of one step (see :func:`~simulate.step_time.step_s`).

        Args:
            decode_seqs: Sequences decoding one token.
            context_tokens: Cached tokens they attend to, summed.
            prefill_tokens: Prompt tokens in the step.
            prefill_pairs: Causal pairs of those prompt tokens.

        Returns:
            Seconds.
        """
        tokens = decode_seqs + prefill_tokens
        weights = self._dense_s
        if self._experts:
            weights += self._expert_s * self._experts * (1.0 - self._miss**tokens)
        prompt = self._pre_s * prefill_tokens
        linear = max(weights, self._dec_s * decode_seqs + prompt) + _ridge_scalar(weights, prompt)
        attention = max(
            self._kv_s * context_tokens,
            self._ctx_s * context_tokens + self._pairs_s * prefill_pairs,
        )
        host = self._fixed_s + self._seq_s * decode_seqs
        return linear + attention + self._comm_s * tokens + host

    def decode_run_s(self, decode_seqs: int, context_tokens: float, steps: int) -> Arr:
        """Cumulative seconds of ``steps`` pure-decode steps (the context grows each step).

        Args:
            decode_seqs: Sequences decoding.
            context_tokens: Their cached tokens at the first step.
            steps: Steps to price.

        Returns:
            Array of cumulative seconds after each step.
        """
        ctx = context_tokens + decode_seqs * np.arange(steps, dtype=np.float64)
        weights = self._dense_s
        if self._experts:
            weights += self._expert_s * self._experts * (1.0 - self._miss**decode_seqs)
        linear = max(weights, self._dec_s * decode_seqs)
        attention = np.maximum(self._kv_s * ctx, self._ctx_s * ctx)
        host = self._fixed_s + self._seq_s * decode_seqs
        per_step = linear + attention + self._comm_s * decode_seqs + host
        return np.cumsum(per_step)
