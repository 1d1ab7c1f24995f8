"""The LLM client against recorded endpoint answers, faked only at the httpx transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from bot.settings import LlmSettings
from bot.understanding.llm_client import LlmClient, completions_url
from bot.understanding.reader import understand_message
from domain.errors import BackendUnavailableError, ConfigurationError

URL = "http://llm.test/v1"


def _completion(content: str) -> dict[str, object]:
    """A chat-completions body as OpenAI-compatible servers (vLLM, OpenAI) return it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "granite",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 500, "completion_tokens": 40, "total_tokens": 540},
    }


VALID = _completion(
    json.dumps(
        {
            "task": "rag",
            "user_population": 300,
            "input_tokens": 3000,
            "slo": [{"metric": "ttft", "ms": 1500, "percentile": 95}],
            "models": ["meta-llama/Llama-3.3-70B-Instruct"],
            "notes": "the user did not say much else",
            "budget_usd_month": None,
        }
    )
)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> LlmClient:
    settings = LlmSettings(url=URL, model="granite", api_key=SecretStr("sk-test"), timeout_s=2)
    return LlmClient(settings, transport=httpx.MockTransport(handler))


def test_a_valid_answer_becomes_requirements() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=VALID)

    requirements = _client(handler).extract(text="RAG for 300 people")

    assert requirements.task == "rag"
    assert requirements.user_population == 300
    assert requirements.slo[0].ms == 1500
    assert str(seen[0].url) == f"{URL}/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-test"
    body = json.loads(seen[0].content)
    assert body["model"] == "granite"
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][-1] == {"role": "user", "content": "RAG for 300 people"}


@pytest.mark.parametrize(
    ("response", "detail"),
    [
        pytest.param(httpx.Response(500, text="boom"), "HTTP 500", id="http-500"),
        pytest.param(httpx.Response(200, text="<html>"), "not JSON", id="body-not-json"),
        pytest.param(
            httpx.Response(200, json=_completion("Sure! The task is RAG.")),
            "not JSON",
            id="answer-not-json",
        ),
        pytest.param(
            httpx.Response(200, json=_completion('["rag"]')), "not a JSON object", id="json-list"
        ),
        pytest.param(
            httpx.Response(200, json=_completion('{"task": "poetry", "max_gpus": -1}')),
            "invalid fields: max_gpus, task",
            id="off-schema",
        ),
        pytest.param(httpx.Response(200, json={"choices": []}), "no message", id="no-choices"),
    ],
)
def test_bad_answers_are_backend_unavailable(response: httpx.Response, detail: str) -> None:
    client = _client(lambda request: response)

    with pytest.raises(BackendUnavailableError) as caught:
        client.extract(text="anything")

    assert caught.value.service == "LLM"
    assert detail in caught.value.detail


def test_a_timeout_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(BackendUnavailableError, match=r"no answer within 2\.0 s"):
        _client(handler).extract(text="anything")


def test_an_unreachable_endpoint_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendUnavailableError, match="ConnectError"):
        _client(handler).extract(text="anything")


def test_understanding_merges_the_llm_answer_under_the_rules() -> None:
    client = _client(lambda request: httpx.Response(200, json=VALID))

    understood = understand_message("Chatbot for 40 users", extractor=client)

    assert understood.requirements.task == "chatbot"
    assert understood.requirements.user_population == 40
    assert understood.requirements.input_tokens == 3000
    assert understood.requirements.models == ["meta-llama/Llama-3.1-70B"]
    assert understood.suggested == {"input_tokens", "slo", "models"}


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(500), id="http-500"),
        pytest.param(httpx.Response(200, json=_completion("{not json")), id="invalid-json"),
    ],
)
def test_understanding_falls_back_when_the_llm_fails(response: httpx.Response) -> None:
    client = _client(lambda request: response)

    understood = understand_message("Chatbot for 40 users", extractor=client)

    assert understood.stated == {"task", "user_population"}
    assert understood.suggested == frozenset()


def test_a_client_needs_a_url() -> None:
    with pytest.raises(ConfigurationError):
        LlmClient(LlmSettings())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://h:8000/v1", "http://h:8000/v1/chat/completions", id="base"),
        pytest.param("http://h:8000/v1/", "http://h:8000/v1/chat/completions", id="slash"),
        pytest.param("http://h/v1/chat/completions", "http://h/v1/chat/completions", id="full"),
    ],
)
def test_completions_url(url: str, expected: str) -> None:
    assert completions_url(url) == expected
