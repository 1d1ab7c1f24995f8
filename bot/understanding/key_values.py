"""Terse key/value specs ("ttft_p90=2s; in=4k; gpu=L40S") rewritten as the sentences they mean.

A spec is a run of ``key=value`` (or ``key: value``, ``key<=value``) pairs separated by ``;``,
``|``, ``,``, new lines or spaces. Each pair whose key is known is rewritten into plain words
that the rest of understanding already reads ("ttft p90 under 2s", "4k tokens in", "l40s gpu");
an unknown key is left as written, so nothing is invented. ``key: value`` pairs are rewritten
only in a message that has at least two of them, so prose such as "Budget: $40k/month. Use case:
customer service chatbot" keeps its own reading. This module works on lower-cased text and must
not decide what any number means beyond the key that names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_LATENCY_KEY = re.compile(r"^(ttft|itl|tpot|e2e|latency)(?:[_-]?(p\d{2}|median|avg|mean))?$")
_PAIR = re.compile(
    r"(?P<key>[a-z][a-z0-9_ -]{0,24}?)\s*(?P<op><=|>=|=|:|<|>)\s*"
    r"(?P<value>[^;|,\n=]+?)\s*(?=$|[;|,\n]|\s+[a-z][a-z0-9_]{0,24}\s*(?:<=|>=|=|<|>))"
)
_WORDS_OF_VALUE = 4


def _tokens_in(value: str) -> str:
    return f"{value} tokens in"


def _tokens_out(value: str) -> str:
    return f"{value} tokens out"


def _users(value: str) -> str:
    if "concurrent" in value:
        return f"{value.replace('concurrent', '').strip()} concurrent users"
    return f"{value} users"


def _concurrent(value: str) -> str:
    return f"{value} concurrent users"


def _budget(value: str) -> str:
    money = value if "$" in value else f"${value}"
    return f"budget {money}"


def _gpus_max(value: str) -> str:
    return f"at most {value} gpus"


_KEYS: dict[str, Callable[[str], str]] = {
    "task": lambda value: value.replace("_", " "),
    "use case": lambda value: value.replace("_", " "),
    "usecase": lambda value: value.replace("_", " "),
    "in": _tokens_in,
    "input": _tokens_in,
    "inputs": _tokens_in,
    "input_tokens": _tokens_in,
    "prompt": _tokens_in,
    "prompt_tokens": _tokens_in,
    "isl": _tokens_in,
    "out": _tokens_out,
    "output": _tokens_out,
    "outputs": _tokens_out,
    "output_tokens": _tokens_out,
    "osl": _tokens_out,
    "users": _users,
    "population": _users,
    "user_population": _users,
    "employees": lambda value: f"{value} employees",
    "concurrent": _concurrent,
    "concurrency": _concurrent,
    "concurrent_users": _concurrent,
    "sessions": _concurrent,
    "rps": lambda value: f"{value} requests per second",
    "qps": lambda value: f"{value} requests per second",
    "requests_per_second": lambda value: f"{value} requests per second",
    "rpd": lambda value: f"{value} requests per day",
    "requests_per_day": lambda value: f"{value} requests per day",
    "budget": _budget,
    "gpu": lambda value: f"{value} gpu",
    "gpus": lambda value: f"{value} gpus" if value[:1].isdigit() else f"{value} gpu",
    "max gpus": _gpus_max,
    "max_gpus": _gpus_max,
    "model": lambda value: value,
    "models": lambda value: value,
    "ctx": lambda value: f"{value} context",
    "context": lambda value: f"{value} context",
    "license": lambda value: f"{value} license only",
    "priority": lambda value: f"{value} matters most",
    "window": lambda value: f"must finish within {value}",
}


def _latency(key: str, value: str) -> str | None:
    match = _LATENCY_KEY.match(key.replace(" ", "_"))
    if match is None:
        return None
    metric, percentile = match.groups()
    words = {"tpot": "itl", "e2e": "end-to-end"}.get(metric, metric)
    return f"{words} {percentile or ''} under {value}"


def _rewrite_pair(key: str, op: str, value: str) -> str | None:
    """The words one pair means, or None for a key this module does not know."""
    key = key.strip()
    value = value.strip()
    if not value or len(value.split()) > _WORDS_OF_VALUE:
        return None
    latency = _latency(key, value)
    if latency is not None:
        return latency
    if key in ("gpus", "max_gpus", "max gpus") and op in ("<=", "<"):
        return _gpus_max(value)
    reader = _KEYS.get(key)
    return None if reader is None else reader(value)


def rewrite(text: str) -> str:
    """``text`` with each known ``key=value`` pair of a spec written out in words.

    Args:
        text: Lower-cased text.

    Returns:
        The text, pairs rewritten and joined by ``;`` (unchanged when it holds no spec).
    """
    pairs = list(_PAIR.finditer(text))
    colon_pairs = sum(1 for pair in pairs if pair["op"] == ":" and pair["key"].strip() in _KEYS)
    parts, done = [], 0
    for pair in pairs:
        if pair["op"] == ":" and colon_pairs < 2:
            continue
        words = _rewrite_pair(pair["key"], pair["op"], pair["value"])
        if words is None:
            continue
        parts += [text[done : pair.start()], f" {words.strip()} ;"]
        done = pair.end()
    return "".join([*parts, text[done:]])
