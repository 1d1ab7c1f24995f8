"""Deterministic understanding: phrasings beyond the evaluation set, corrections, robustness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding.reader import (
    TextUnderstander,
    Understood,
    merge,
    understand,
    understand_message,
)
from bot.understanding.reading import MAX_CHARS
from domain.errors import BackendUnavailableError
from domain.requirements import Requirements
from knowledge.catalog import load_models


def _stated(text: str) -> dict[str, Any]:
    values = understand(text).model_dump(mode="json")
    return {name: value for name, value in values.items() if value not in (None, [])}


def _slo(metric: str, ms: float, percentile: int = 95) -> dict[str, Any]:
    return {"metric": metric, "ms": ms, "percentile": percentile}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Autocomplete in our IDE, 500 devs, ttft p99 < 120ms",
            {
                "task": "code_completion",
                "user_population": 500,
                "slo": [_slo("ttft", 120, 99)],
            },
            id="autocomplete-p99",
        ),
        pytest.param(
            "Text-to-SQL for analysts: 3 requests a second, end-to-end under 5s.",
            {
                "task": "code_generation",
                "requests_per_second": 3.0,
                "slo": [_slo("e2e", 5000)],
            },
            id="text-to-sql",
        ),
        pytest.param(
            "We want Mistral 7B for summarizing 20k emails per day; each email ~600 tokens, "
            "summary ~80 tokens.",
            {
                "task": "summarization",
                "models": ["mistralai/Mistral-7B-v0.1"],
                "requests_per_day": 20000,
                "input_tokens": 600,
                "output_tokens": 80,
            },
            id="email-summaries",
        ),
        pytest.param(
            "Customer-facing chat, 1,500 concurrent sessions, responses should start in under "
            "0.8 seconds at p90",
            {"task": "chatbot", "concurrent_users": 1500, "slo": [_slo("ttft", 800, 90)]},
            id="concurrent-sessions",
        ),
        pytest.param(
            "Agent with function calling, 15 parallel agents, ~12k tokens in, 600 out, at least "
            "8-bit precision",
            {
                "task": "agentic",
                "concurrent_users": 15,
                "input_tokens": 12000,
                "output_tokens": 600,
                "quantization": "8bit",
            },
            id="agents-8bit",
        ),
        pytest.param(
            "Serve DeepSeek V3 on 8 H200 with 64k context, priority is latency above all",
            {
                "models": ["deepseek-ai/DeepSeek-V3"],
                "gpu_families": ["H200"],
                "max_gpus": 8,
                "min_context_tokens": 65536,
                "priority": "latency",
            },
            id="deepseek-latency",
        ),
        pytest.param(
            "Need Gemma 2 27B with 8k context, budget ~$4,000 per month, int8 is ok",
            {
                "models": ["google/gemma-2-27b-it"],
                "min_context_tokens": 8192,
                "budget_usd_month": 4000.0,
                "quantization": "allowed",
            },
            id="gemma-int8-ok",
        ),
        pytest.param(
            "Please translate 1.2M product titles daily, open-source models only",
            {"task": "translation", "requests_per_day": 1200000, "license": "open-weights"},
            id="translate-daily",
        ),
        pytest.param(
            "Batch classify 2 million tickets a week on T4s, cheapest possible",
            {
                "task": "batch",
                "requests_per_day": 285714,
                "gpu_families": ["T4"],
                "priority": "cost",
            },
            id="weekly-volume",
        ),
        pytest.param(
            "The chatbot must respond within 1 second on average and within 3 seconds p99",
            {"task": "chatbot", "slo": [_slo("ttft", 1000, 50), _slo("ttft", 3000, 99)]},
            id="two-percentiles-one-metric",
        ),
        pytest.param(
            "Latency target: 200ms TTFT, 20ms TPOT",
            {"slo": [_slo("ttft", 200), _slo("itl", 20)]},
            id="metric-after-number",
        ),
        pytest.param(
            "Reading speed of at least 16 tokens/s per user",
            {"slo": [_slo("itl", 62.5)]},
            id="tokens-per-second-per-user",
        ),
        pytest.param(
            "Around 30 requests per minute, each with a 2k token prompt",
            {"requests_per_second": 0.5, "input_tokens": 2000},
            id="per-minute",
        ),
        pytest.param(
            "RAG over our knowledge base with Qwen3-14B, 50 users at peak, 128K context",
            {
                "task": "rag",
                "models": ["Qwen/Qwen3-14B"],
                "concurrent_users": 50,
                "min_context_tokens": 131072,
            },
            id="rag-128k",
        ),
        pytest.param(
            "We need llama-3.1-70b-instruct in fp8 on 2x H100 SXM",
            {
                "models": ["meta-llama/Llama-3.1-70B"],
                "quantization": "allowed",
                "gpu_families": ["H100"],
                "gpus": ["H100-SXM-80GB"],
                "max_gpus": 2,
            },
            id="instruct-maps-to-base",
        ),
        pytest.param(
            "fine-tuned llama 3 8b; at most 4 L40S; context of 8192 tokens",
            {
                "models": ["meta-llama/Llama-3.1-8B"],
                "gpu_families": ["L40S"],
                "max_gpus": 4,
                "min_context_tokens": 8192,
            },
            id="llama3-same-architecture",
        ),
        pytest.param(
            "Models between 7B and 14B only",
            {"min_params_b": 7.0, "max_params_b": 14.0},
            id="params-between",
        ),
        pytest.param(
            "Nothing bigger than 13B parameters please",
            {"max_params_b": 13.0},
            id="params-at-most",
        ),
        pytest.param(
            "We can spend at most $600 a day",
            {"budget_usd_month": 600 * 730 / 24},
            id="budget-per-day",
        ),
        pytest.param(
            "The GPU costs $2/hour on our cloud, and we have a budget of $4k/month",
            {"budget_usd_month": 4000.0},
            id="price-is-not-budget",
        ),
        pytest.param("budget 5k", {"budget_usd_month": 5000.0}, id="bare-budget"),
        pytest.param(
            "We expect roughly 2,000 daily active users",
            {"concurrent_users": 2000},
            id="daily-active-users-are-people",
        ),
        pytest.param("We process 10 million tokens per day", {}, id="token-volume-is-no-rpd"),
        pytest.param(
            "TTFT < 300 ms for 90% of requests",
            {"slo": [_slo("ttft", 300, 90)]},
            id="share-of-requests",
        ),
        pytest.param(
            "Summaries of 10-page PDFs, about 5,000 tokens in, 300 out, up to 10k docs/day, "
            "each must finish within 2 minutes",
            {
                "task": "summarization",
                "input_tokens": 5000,
                "output_tokens": 300,
                "requests_per_day": 10000,
                "slo": [_slo("e2e", 120_000)],
            },
            id="minutes-end-to-end",
        ),
    ],
)
def test_phrasings_are_understood(text: str, expected: dict[str, Any]) -> None:
    assert _stated(text) == expected


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        pytest.param("No H100s please, 10 QPS.", "T4 A10G L4 L40S A100 H200 B200 MI300X Gaudi3"),
        pytest.param("anything but T4 or L4", "A10G L40S A100 H100 H200 B200 MI300X Gaudi3"),
        pytest.param("We don't have H100s; we have A100s and L4s.", "A100 L4"),
        pytest.param("H100s preferred but A100s okay", "H100 A100"),
        pytest.param("L4, L40S or A10G, not T4", "L4 L40S A10G"),
        pytest.param("MI300X or Gaudi 3", "MI300X Gaudi3"),
    ],
)
def test_gpu_families_and_negations(text: str, allowed: str) -> None:
    assert understand(text).gpu_families == allowed.split()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a team of 12 engineers built our platform", id="team-size"),
        pytest.param("we spent $50k on an API last quarter", id="past-spend"),
        pytest.param("We support 6 languages across 40 offices", id="plain-counts"),
        pytest.param("Llama 3.1 or Qwen3, we have not decided", id="families-without-size"),
        pytest.param("contracts of up to 100 pages, articles of 1,200 words", id="pages-words"),
        pytest.param("a few thousand users, hundreds of requests", id="vague-amounts"),
        pytest.param("asdf qwerty zzz 42", id="nonsense"),
        pytest.param("", id="empty"),
    ],
)
def test_numbers_that_are_not_requirements_are_left_alone(text: str) -> None:
    understood = understand_message(text)

    assert understood.stated == frozenset()
    assert understood.requirements == Requirements()


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        pytest.param("FP16 only, no quantization.", "forbidden", id="fp16-only"),
        pytest.param("Quantization is not allowed.", "forbidden", id="not-allowed"),
        pytest.param("weights must stay bf16", "forbidden", id="stay-bf16"),
        pytest.param("FP8 is fine but nothing below 8-bit", "8bit", id="nothing-below"),
        pytest.param("int8 at least, no 4-bit", "8bit", id="no-4bit"),
        pytest.param("AWQ is acceptable", "allowed", id="awq-ok"),
        pytest.param("we are happy to quantize", "allowed", id="happy-to"),
    ],
)
def test_quantization_stances(text: str, stance: str) -> None:
    assert understand(text).quantization == stance


def test_a_correction_replaces_only_what_it_states() -> None:
    first = understand("Chatbot for 5k users on A100s, TTFT under 500 ms, ITL under 50 ms")

    corrected = understand("actually 10k users, and TTFT p99 under 1 s", previous=first)

    assert corrected.user_population == 10000
    assert corrected.task == first.task
    assert corrected.gpu_families == first.gpu_families
    assert [(t.metric, t.ms, t.percentile) for t in corrected.slo] == [
        ("itl", 50.0, 95),
        ("ttft", 1000.0, 99),
    ]


def test_restated_lists_replace_earlier_lists() -> None:
    first = understand("Qwen3-8B on L4 or L40S")

    second = understand("use Qwen3-32B on H100s instead", previous=first)

    assert second.models == ["Qwen/Qwen3-32B"]
    assert second.gpu_families == ["H100"]


def test_stated_names_the_fields_the_message_gives() -> None:
    understood = understand_message("RAG bot for 300 people, budget $2k/month")

    assert understood.stated == {"task", "user_population", "budget_usd_month"}


def test_text_understander_binds_the_flow_port() -> None:
    understander = TextUnderstander()
    previous = understander.message("summarization, 2k documents a day").requirements

    merged = understander.merge("on T4s", previous=previous)

    assert merged.requests_per_day == 2000
    assert merged.gpu_families == ["T4"]


class _Extractor:
    """An LLM stand-in at our own interface: returns a fixed reading or fails."""

    def __init__(self, answer: Requirements | None) -> None:
        self.answer = answer
        self.texts: list[str] = []

    def extract(self, *, text: str) -> Requirements:
        self.texts.append(text)
        if self.answer is None:
            raise BackendUnavailableError("LLM", "down")
        return self.answer


def test_an_extractor_fills_gaps_but_never_overrides_stated_fields() -> None:
    extractor = _Extractor(
        Requirements.model_validate(
            {
                "task": "rag",
                "user_population": 1,
                "input_tokens": 900,
                "models": ["Llama 3.3 70B Instruct", "no-such/model"],
            }
        )
    )

    understood = understand_message("chatbot for 40 users", extractor=extractor)

    assert extractor.texts == ["chatbot for 40 users"]
    assert understood.requirements.task == "chatbot"
    assert understood.requirements.user_population == 40
    assert understood.requirements.input_tokens == 900
    assert understood.requirements.models == ["meta-llama/Llama-3.1-70B"]
    assert understood.suggested == {"input_tokens", "models"}
    assert understood.stated == {"task", "user_population", "input_tokens", "models"}


def test_a_failing_extractor_falls_back_to_the_rules() -> None:
    understood = understand_message("chatbot for 40 users", extractor=_Extractor(None))

    assert understood == Understood(
        Requirements(task="chatbot", user_population=40), frozenset({"task", "user_population"})
    )


def test_merge_with_nothing_stated_keeps_everything() -> None:
    previous = understand("Chatbot for 5k users on A100s")

    assert merge(previous, understand_message("hmm, let me think")) == previous


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_no_text_crashes_understanding(text: str) -> None:
    understood = understand_message(text)

    assert isinstance(understood.requirements, Requirements)
    assert understood.stated <= set(Requirements.model_fields)


_VOCABULARY = (
    "$ ~ 5k 1.5M 0 0.0 -3 per hour a day /month ms s tokens/s per user p99 median TTFT ITL "
    "end-to-end users concurrent at once GPUs H100 no anything but Llama 3.3 70B Qwen3 8B "
    "context 128k nothing under 70B between and fp8 at least quantization budget , . ; ( ) "
    "% of the time 99 requests/s QPS nightly we have of them team of"
)
_WORDS = st.sampled_from(_VOCABULARY.split())


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=40).map(" ".join))
def test_requirement_words_in_any_order_never_crash(text: str) -> None:
    assert isinstance(understand(text), Requirements)


def test_very_long_messages_are_read_up_to_the_limit() -> None:
    text = "chatbot for 40 users. " + "lorem ipsum 12 " * (MAX_CHARS // 10)

    requirements = understand(text)

    assert requirements.task == "chatbot"
    assert requirements.user_population == 40


def test_models_come_from_the_catalog_given() -> None:
    catalog = load_models()
    small = {hf_id: catalog[hf_id] for hf_id in ("Qwen/Qwen3-8B", "google/gemma-2-9b-it")}

    requirements = understand("Qwen3 8B or Llama 3.1 8B, maybe Gemma 2 9B", models=small)

    assert requirements.models == ["Qwen/Qwen3-8B", "google/gemma-2-9b-it"]


def test_ruling_a_gpu_out_narrows_the_earlier_list() -> None:
    first = understand("We have A100s, L4s and T4s")

    narrowed = understand("actually no T4s", previous=first)

    assert narrowed.gpu_families == ["A100", "L4"]
    assert understand("no T4s", previous=Requirements()).gpu_families[:2] == ["A10G", "L4"]


def test_the_understander_asks_the_extractor_once_per_message() -> None:
    extractor = _Extractor(Requirements(input_tokens=900))
    understander = TextUnderstander(extractor=extractor)

    understood = understander.message("chatbot for 40 users")
    merged = understander.merge("chatbot for 40 users", previous=Requirements(max_gpus=2))

    assert extractor.texts == ["chatbot for 40 users"]
    assert understood.requirements.input_tokens == 900
    assert (merged.max_gpus, merged.input_tokens, merged.user_population) == (2, 900, 40)
