"""An optional OpenAI-compatible LLM endpoint that reads requirements from chat text.

The only module of the package that imports httpx. It asks ``POST {url}/chat/completions`` for a
JSON object (``response_format: json_object``) in the schema of
:class:`~domain.requirements.Requirements` and validates the answer with that same model.

Errors, all translated at this boundary::

    BackendUnavailableError("LLM", …)
      ├── the endpoint timed out or could not be reached   (httpx.TimeoutException, TransportError)
      ├── it answered with an HTTP error status            (httpx.HTTPStatusError)
      └── its answer was not JSON or not a valid Requirements object

Callers never need it: :func:`bot.understanding.reader.understand_message` falls back to the
deterministic reading on any of these. This module must not log or show the API key.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError

from bot.settings import LlmSettings
from domain.errors import BackendUnavailableError, ConfigurationError
from domain.requirements import Requirements

SERVICE = "LLM"
_INSTRUCTIONS = """\
You read a message from a team that wants to serve an LLM and return the requirements it states \
as one JSON object with only these keys (omit or null what the message does not state; never \
guess): {fields}.
Normal forms: task one of {tasks}; slo is a list of {{"metric": "ttft"|"itl"|"e2e", "ms": number, \
"percentile": 50|90|95|99}} (no percentile named = 95, median/typical/average = 50; first token/\
start streaming = ttft, per token/tokens per second per user = itl with 1000/rate ms, full answer/\
end to end = e2e; seconds converted to ms); requests_per_second per second (per minute / 60); \
budget_usd_month in US dollars per month (per hour x 730, per year / 12); gpu_families from \
{gpus}; models as Hugging Face ids of the models named with a size; min_context_tokens with \
k = 1024 (128k = 131072); quantization allowed|8bit|forbidden only when stated; license \
permissive (Apache-2.0/MIT only) or open-weights; priority latency|cost|accuracy|balanced only \
when the message ranks what matters most. Numbers that are not requirements (team size, past \
spend) are left out."""


def _instructions() -> str:
    schema = Requirements.model_json_schema()
    defs = schema.get("$defs", {})
    return _INSTRUCTIONS.format(
        fields=", ".join(Requirements.model_fields),
        tasks="|".join(defs.get("Task", {}).get("enum", [])),
        gpus=", ".join(defs.get("GpuFamily", {}).get("enum", [])[:10]),
    )


def completions_url(url: str) -> str:
    """The chat-completions URL of an endpoint given as a base URL (``…/v1``) or in full.

    Args:
        url: ``PREFLIGHT_LLM__URL``.

    Returns:
        The URL to POST to.
    """
    trimmed = url.rstrip("/")
    return trimmed if trimmed.endswith("/chat/completions") else f"{trimmed}/chat/completions"


class LlmClient:
    """Reads requirements with an OpenAI-compatible chat-completions endpoint.

    Args:
        settings: The ``llm`` settings section (url, model, api_key, timeout_s).
        transport: An httpx transport to use instead of the network (tests pass a
            ``httpx.MockTransport``).

    Raises:
        ConfigurationError: When no URL is configured.
    """

    def __init__(self, settings: LlmSettings, *, transport: httpx.BaseTransport | None = None):
        if not settings.url:
            raise ConfigurationError("no LLM endpoint configured (set PREFLIGHT_LLM__URL)")
        headers = {"Content-Type": "application/json"}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._url = completions_url(settings.url)
        self._model = settings.model
        self._timeout_s = settings.timeout_s
        self._http = httpx.Client(headers=headers, timeout=settings.timeout_s, transport=transport)

    def extract(self, *, text: str) -> Requirements:
        """Ask the endpoint for the requirements ``text`` states.

        Args:
            text: The chat message.

        Returns:
            The validated requirements.

        Raises:
            BackendUnavailableError: When the endpoint fails, times out or answers off-schema.
        """
        body = {
            "model": self._model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": _instructions()},
                {"role": "user", "content": text},
            ],
        }
        try:
            response = self._http.post(self._url, json=body)
            response.raise_for_status()
            payload = response.json()
        except httpx.TimeoutException as exc:
            raise BackendUnavailableError(SERVICE, f"no answer within {self._timeout_s} s") from exc
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise BackendUnavailableError(SERVICE, f"HTTP {status} from the endpoint") from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailableError(SERVICE, type(exc).__name__) from exc
        except json.JSONDecodeError as exc:
            raise BackendUnavailableError(SERVICE, "the response body is not JSON") from exc
        return requirements_from_answer(payload)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def requirements_from_answer(payload: Any) -> Requirements:
    """Validate a chat-completions response body as :class:`Requirements`.

    Keys outside the schema and null values are dropped before validation (models chatter).

    Args:
        payload: The decoded response body.

    Returns:
        The requirements the answer holds.

    Raises:
        BackendUnavailableError: When the body has no message, the message is not a JSON object,
            or the object is not valid requirements.
    """
    try:
        content = payload["choices"][0]["message"]["content"]
        answer = json.loads(content)
    except (KeyError, IndexError, TypeError) as exc:
        raise BackendUnavailableError(SERVICE, "the response has no message content") from exc
    except json.JSONDecodeError as exc:
        raise BackendUnavailableError(SERVICE, "the answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise BackendUnavailableError(SERVICE, "the answer is not a JSON object")
    known = {k: v for k, v in answer.items() if k in Requirements.model_fields and v is not None}
    try:
        return Requirements.model_validate(known)
    except ValidationError as exc:
        fields = ", ".join(sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]}))
        raise BackendUnavailableError(SERVICE, f"the answer has invalid fields: {fields}") from exc
