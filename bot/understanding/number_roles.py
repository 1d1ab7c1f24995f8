"""What each number of a sentence is: a budget, a latency, a token count, a load, a GPU count ….

A number's role is read from the words right around it ("~300 tokens", "$5/hour", "20 concurrent
users", "max 8 GPUs", "nothing under 70B") and, for token counts, from the nearest word that says
prompt or answer. Numbers no rule claims ("a team of 12 engineers", "in 6 languages", "we spent
$50k last quarter") get no role, so they never become requirements.

Input is one sentence, lower-cased, with model names replaced by ``model`` and GPU names by
``gpu`` (see :mod:`bot.understanding.reader`). This module must not decide how roles combine into
requirements; that is :mod:`bot.understanding.reader`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding import quantities
from bot.understanding.quantities import Number

REACH = 160
"""How many characters either side of a number may describe it."""

_WORDS = r"(?:[a-z'&-]+\s+)"
_MONEY_BEFORE = re.compile(r"(?:\$|usd|us\$|€|£)\s*[~≈]?\s*$")
_BUDGET_BEFORE = re.compile(
    r"\bbudget\s*(?:is|of|:|=|at|around|about|up to|under|max|ceiling|cap)?\s*[~≈]?\s*$"
)
_MONEY_AFTER = re.compile(r"^\s*(?:usd|dollars|bucks)\b")
_PERIOD_AFTER = re.compile(
    r"^\s*(?:usd|dollars)?\s*(?:/\s*|(?:per|a|an|each|every)\s+)(hour|hr|h|day|week|wk|month|mo|mth"
    r"|year|yr|quarter)\b|^\s*(?:usd|dollars)?\s*(hourly|daily|weekly|monthly|yearly|annual\w*"
    r"|quarterly)\b"
)
_PERIOD_ANYWHERE = re.compile(r"\b(hourly|weekly|monthly|yearly|annual\w*|quarterly)\b")
_PERIODS = {
    "hr": "hour",
    "h": "hour",
    "hourly": "hour",
    "daily": "day",
    "wk": "week",
    "weekly": "week",
    "mo": "month",
    "mth": "month",
    "monthly": "month",
    "yr": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "quarterly": "quarter",
}
_BUDGET_WORDS = re.compile(
    r"budget|ceiling|\bcap\b|at most|up to|under|\bmax|limit|exceed|no more than|afford|tops"
    r"|\bspend\b|allowance|keep it|below|less than|all-in|in total"
)
_NOT_BUDGET = re.compile(
    r"\bspent\b|\bpaid\b|\bpaying\b|\blast (?:quarter|year|month|week)\b|\bso far\b"
    r"|\bsaved?\b|\brevenue\b|\bearn\w*|\bcosts? (?:us )?[~≈]?\s*\$?$|\bpriced at\s*\$?$"
)
_SKIP_UNITS = re.compile(
    r"^\s*(?:%|-?\s*(?:gb|gib|tb|mb|gigabytes?|words?|pages?|characters?|chars|sentences?"
    r"|paragraphs?|lines?|languages?|years?|months?|weeks?|days?|hours?|hrs?|bits?|nodes?)\b)"
)
_ITL_RATE = re.compile(
    r"^\s*(?:tokens?|toks?|t)\s*(?:/\s*s(?:ec(?:ond)?)?\b|per\s+sec(?:ond)?\b|an?\s+second\b"
    r"|each\s+second\b)"
)
_PER_USER = re.compile(
    r"per[- ](?:user|viewer|session|stream|request|person|client|chat|conversation|reader)|each "
    r"(?:user|viewer|session)|stream\w*|reading speed|\bitl\b|inter[- ]?token|per[- ]token"
)
_PARAMS_AFTER = re.compile(r"^\s*(?:params|parameters)\b")
_AT_LEAST = re.compile(
    r"(?:at least|over|above|more than|bigger than|larger than|min(?:imum)?|>=?|≥)\s*[~≈]?\s*$"
)
_AT_MOST = re.compile(
    r"(?:under|below|smaller than|less than|at most|up to|max(?:imum)?|<=?|≤|no (?:more|bigger|"
    r"larger) than)\s*[~≈]?\s*$"
)
_NOTHING = re.compile(r"\b(?:nothing|no model|no models|not|none|never)\s+(?:\w+\s+)?$")
_BETWEEN_FIRST = re.compile(r"\bbetween\s*[~≈]?\s*$")
_BETWEEN_SECOND = re.compile(r"\bbetween\s*[~≈]?\s*[\d.]+\s*(?:b|bn|billion)?\s*(?:and|to|-)\s*$")
_PARAMS_AT_LEAST_AFTER = re.compile(
    r"^\s*(?:params|parameters)?\s*(?:or|and)\s+(?:larger|bigger|more|above|up)\b|^\s*\+"
)
_PARAMS_AT_MOST_AFTER = re.compile(
    r"^\s*(?:params|parameters)?\s*(?:or|and)\s+(?:smaller|less|below|under|fewer)\b"
)
_CONTEXT_BEFORE = re.compile(
    r"context(?:[- ](?:window|length|size))?(?:\s*(?:of|is|:|=|up to|at least|needed|required|"
    r"must be|around|about|needs to be))*\s*[~≈]?\s*$"
)
_CONTEXT_AFTER = re.compile(r"^\s*(?:-?\s*tokens?\s+(?:of\s+)?)?(?:context|ctx)\b")
_TOKENS_AFTER = re.compile(r"^\s*-?\s*(?:tokens?|toks?)\b")
_TOKENS_IN_OUT = re.compile(
    r"^\s*-?\s*tokens?\s+(?:of\s+(?:[\w-]+\s+){1,3})?(in|out)\b|^\s*-?\s*tokens?\s+(each)\b"
)
_TOKENS_WORD = re.compile(
    r"^\s*-?\s*tokens?\s+(?:(?:json|text|code|long|of json)\s+)?([a-z]+)"
    r"|^\s*tokens?\s+(?:of|for the)\s+([a-z]+)"
    r"|^\s*tokens?\s+(?:per|for each|for every|a|an)\s+([a-z]+)"
)
_TIME_WORD = re.compile(r"sec\w*|s|min\w*|hour|hr|h|day|night|week|month|year")
_INPUT_WORDS = (
    r"prompts?|inputs?|documents?|docs?|transcripts?|tickets?|invoices?|articles?|emails?|text"
    r"|ocr|chunks?|retrieved|queries|questions?|contracts?|notes|attributes|each"
)
_OUTPUT_WORDS = (
    r"outputs?|answers?|responses?|repl(?:y|ies)|completions?|suggestions?|summar(?:y|ies)"
    r"|generations?|generat(?:e|es|ed)|writes?|produces?|translations?|results?"
)
_INPUT = re.compile(rf"\b(?:{_INPUT_WORDS})\b")
_OUTPUT = re.compile(rf"\b(?:{_OUTPUT_WORDS})\b")
_IN_OUT_CUE = re.compile(rf"\b(?:{_INPUT_WORDS}|{_OUTPUT_WORDS})\b")
_TOKENLESS_AFTER = re.compile(r"^\s*(in|out)\b(?!\s+(?:the|our|a|an)\b)")
_IN_AND_OUT = re.compile(r"\d[\d.]*\s?k?\s+in\b[^.;]{0,30}?\d[\d.]*\s?k?\s+out\b")
_TOKENLESS_BEFORE = re.compile(
    r"\b(outputs?|inputs?|prompts?|answers?|responses?|completions?)\s*(?:are|is|of|:|=|around"
    r"|about|roughly)?\s*[~≈]?\s*$"
)
_RATE = re.compile(
    rf"^\s*{_WORDS}{{0,3}}?[a-z-]*\s*(rps|qps|req/s\w*|reqs?/s\w*|requests?/s\w*|queries/s\w*"
    r"|calls/s\w*|/\s*s(?:ec\w*)?\b|/\s*min\w*|/\s*h(?:ou)?r\b|(?:per|a|an|each|every)\s+"
    r"(?:second|sec|minute|min|hour|hr)\b)"
)
_DAILY = re.compile(
    rf"^\s*{_WORDS}{{0,4}}?[a-z'-]*\s*(?:(?:/\s*|\b(?:a|per|each|every)\s+)(day|night|week|month)"
    r"|\b(daily|nightly|weekly|monthly))\b"
)
_PEOPLE = (
    r"users|people|persons|employees|staff|students|developers|devs|engineers|agents|customers"
    r"|guests|viewers|members|analysts|scientists|researchers|seats|colleagues|testers|clients"
    r"|subscribers|visitors|patients|doctors|lawyers|reps|operators|humans|teammates|workers"
    r"|learners|players|traders|nurses|clinicians|editors|writers|sellers|merchants|partners"
)
_SESSIONS = r"sessions|chats|conversations|requests|streams|connections|queries|calls|threads"
_CONCURRENT = r"concurrent\w*|simultaneous\w*|parallel|active|live|open"
_USERS = re.compile(rf"^\s*{_WORDS}{{0,2}}?(?:{_PEOPLE})\b")
_SESSION_USERS = re.compile(rf"^\s*{_WORDS}?(?:{_CONCURRENT})\s+{_WORDS}?(?:{_SESSIONS})\b")
_CONCURRENCY_AFTER = re.compile(
    r"^\s*(?:at once|at the same time|concurrently|in parallel|simultaneously|at a time|concurrent)"
    r"|^\s*(?:are |of them |of those |users? |people )?(?:active|online)\b"
    r"|^\s*(?:of them |users? |people )?(?:are |is )?(?:using it|chatting|typing|working|logged in)"
    r" (?:at once|at the same time|at any (?:one )?(?:time|moment)|concurrently|simultaneously)\b"
)
_CONCURRENCY_NEAR = re.compile(
    rf"^\s*{_WORDS}{{0,2}}?(?:{_CONCURRENT})\b|^[^.;,]{{0,30}}\b(?:at once|at the same time"
    r"|concurrently|in parallel|simultaneously|at a time|at peak)\b"
)
_CONCURRENCY_BEFORE = re.compile(
    r"concurren\w*\s*(?:of|:|=|is)?\s*(?:around|about|roughly|up to|at most)?\s*[~≈]?\s*$"
    r"|\bin parallel\s*(?::|=|is)?\s*[~≈]?\s*$"
)
_TEAM_OF = re.compile(
    r"\b(?:team|staff|group|crew|company|headcount|org|organi[sz]ation|department) of\s*[~≈]?\s*"
    r"(?:about |around |roughly )?$"
)
_ORGANISATION_AFTER = re.compile(
    r"^\s*-?\s*(?:person|people|employee|staff|strong)\s+(?:company|organi[sz]ation|org|firm"
    r"|enterprise|business|group|corporation)\b|^\s*(?:[a-z]+\s+){0,2}?(?:in total|overall"
    r"|company[- ]wide|across the (?:company|organi[sz]ation|group)|in the (?:company|group))\b"
)
_ORGANISATION_BEFORE = re.compile(
    r"\b(?:company|organi[sz]ation|org|firm|enterprise|group)\s+(?:has|have|of|with|employs"
    r"|is)\s+(?:about |around |roughly |over |some )?[~≈]?\s*$|\bout of (?:our|the|all|its)"
    r"\s+(?:about |around |roughly )?[~≈]?\s*$|\bwe(?:'re| are) (?:a |an )?[~≈]?\s*$"
)
_TEAM_MEMBERS = re.compile(
    r"^\s*-?\s*(?:person|people|member|strong)\s+(?:[\w-]+\s+){0,2}?(?:team|department|group"
    r"|unit|org)\b|^\s*(?:people )?(?:of|in|from) (?:the|our) (?:[\w-]+ ){0,2}(?:team|department"
    r"|unit)\b"
)
_GPUS = re.compile(r"^\s*x?\s*(?:[a-z-]+\s+)?(?:gpus?|cards?|accelerators?|devices?)\b")
_GPUS_OF_THEM = re.compile(r"^\s*(?:of them|at most|max(?:imum)?|tops|or fewer)\b")
_GPUS_BARE_BEFORE = re.compile(
    r"\b(?:we have|we've got|we own|we get|we only have|we only get|at most|up to|max(?:imum)?)"
    r"\s*$"
)


@dataclass(frozen=True)
class Role:
    """What a number is.

    Attributes:
        kind: ``""`` (no requirement), ``budget``, ``latency``, ``itl_rate``, ``input``,
            ``output``, ``context``, ``rps``, ``rpd``, ``users``, ``concurrent``, ``gpus``,
            ``min_params``, ``max_params``, ``organisation`` (the size of the whole company:
            the user population only when nothing else says who uses it).
        value: The value in the requirement's normal unit (ms, $/month, per second, tokens …).
        start: Offset of the number in its sentence.
        end: Offset just past the number and its unit.
    """

    kind: str
    value: float
    start: int
    end: int


def role_of(sentence: str, number: Number, region_start: int) -> Role | None:
    """The role of ``number`` in ``sentence``, or None when it is no requirement.

    Only the words within ``REACH`` characters of the number are read, so a sentence of any
    length costs time in proportion to its numbers.

    Args:
        sentence: One sentence, prepared as the module docstring says.
        number: A number found in it.
        region_start: Where the words that may describe it start (the end of the previous number).

    Returns:
        Its role (offsets in ``sentence``); a role of kind ``""`` when the number is claimed but
        no requirement (a memory size, a page count, past spend); None when nothing claims it.
    """
    low = max(0, number.start - REACH)
    window = sentence[low : number.end + REACH]
    local = Number(number.value, number.start - low, number.end - low, number.scale)
    before, after = window[: local.start], window[local.end :]
    region = window[max(region_start - low, 0) : local.start]
    for reader in (_money, _latency, _sizes, _tokens, _load, _people, _gpus):
        role = reader(window, local, before, after, region)
        if role is not None and not role.kind:
            return Role("", 0.0, number.start, number.end)
        if role is not None:
            return Role(role.kind, role.value, role.start + low, role.end + low)
    return None


def _role(kind: str, value: float, number: Number) -> Role:
    return Role(kind, value, number.start, number.end)


_NONE = Role("", 0.0, -1, -1)
"""Claimed, but no requirement (a memory size, a percentage, a page count)."""


def _money(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    currency = _MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after)
    if currency is None and (not _BUDGET_BEFORE.search(before) or _SKIP_UNITS.match(after)):
        return None
    if _NOT_BUDGET.search(region) or _NOT_BUDGET.search(after[:40]):
        return _NONE
    period_match = _PERIOD_AFTER.match(after) or _PERIOD_ANYWHERE.search(sentence)
    if period_match is None and not _BUDGET_WORDS.search(sentence):
        return _NONE
    period = "month"
    if period_match is not None:
        written = next(group for group in period_match.groups() if group)
        period = "year" if written.startswith("annual") else _PERIODS.get(written, written)
    return _role("budget", quantities.monthly(number.value, period), number)


def _latency(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    unit = quantities.DURATION_UNIT.match(after)
    if unit is not None:
        ms = quantities.duration_ms(number.value, unit.group(1))
        return Role("latency", ms, number.start, number.end + unit.end())
    rate = _ITL_RATE.match(after)
    if rate is not None:
        if not _PER_USER.search(sentence) or number.value <= 0:
            return _NONE
        return Role("itl_rate", 1000.0 / number.value, number.start, number.end + rate.end())
    return None


def _sizes(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    if _SKIP_UNITS.match(after):
        return _NONE
    if number.scale not in ("b", "bn", "billion") and not _PARAMS_AFTER.match(after):
        return None
    billions = number.value / 1e9 if number.scale in ("b", "bn", "billion") else number.value
    if _BETWEEN_FIRST.search(before):
        return _role("min_params", billions, number)
    if _BETWEEN_SECOND.search(before):
        return _role("max_params", billions, number)
    comparator = _AT_LEAST.search(before) or _AT_MOST.search(before)
    if comparator is not None:
        negated = _NOTHING.search(before[: comparator.start()]) is not None
        at_least = _AT_LEAST.search(before) is not None
        return _role("min_params" if at_least != negated else "max_params", billions, number)
    if _PARAMS_AT_LEAST_AFTER.match(after):
        return _role("min_params", billions, number)
    if _PARAMS_AT_MOST_AFTER.match(after):
        return _role("max_params", billions, number)
    return _NONE


def _tokens(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    if _CONTEXT_BEFORE.search(before) or _CONTEXT_AFTER.match(after):
        return _role("context", quantities.context_tokens(number), number)
    if _TOKENS_AFTER.match(after):
        return _token_count(number, after, region, sentence)
    tokenless = _TOKENLESS_AFTER.match(after)
    if "token" not in sentence and not (tokenless and _IN_AND_OUT.search(sentence)):
        return None
    if tokenless is not None:
        return _role("input" if tokenless.group(1) == "in" else "output", number.value, number)
    written = _TOKENLESS_BEFORE.search(region)
    if written is not None:
        return _role(_side(written.group(1)) or "input", number.value, number)
    return None


def _side(word: str) -> str | None:
    if _OUTPUT.fullmatch(word):
        return "output"
    if _INPUT.fullmatch(word):
        return "input"
    return None


def _token_count(number: Number, after: str, region: str, sentence: str) -> Role:
    """A count of tokens: prompt or answer, by the words around it."""
    in_out = _TOKENS_IN_OUT.match(after)
    if in_out is not None:
        return _role("output" if in_out.group(1) == "out" else "input", number.value, number)
    word = _TOKENS_WORD.match(after)
    if word is not None and _TIME_WORD.fullmatch(word.group(3) or ""):
        return _NONE  # tokens per day or per second: a throughput, not a request's size
    side = _side(word.group(1) or word.group(2) or word.group(3)) if word else None
    if side is None:
        cues = _IN_OUT_CUE.findall(region)
        side = _side(cues[-1]) if cues else None
    if side is None and word is not None and word.group(3):
        side = "input"  # "tokens per thread": the size of each thing sent in
    if side is None:
        following = _IN_OUT_CUE.search(after)
        side = _side(following.group()) if following else None
    if side is None:
        return _NONE
    return _role(side, number.value, number)


def _load(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    rate = _RATE.match(after)
    if rate is not None:
        unit = rate.group(1)
        period = (
            "minute" if "min" in unit else "hour" if re.search(r"h(?:ou)?r", unit) else "second"
        )
        return _role("rps", quantities.per_second(number.value, period), number)
    if _USERS.match(after):
        return None
    daily = _DAILY.match(after)
    if daily is not None:
        period = daily.group(1) or daily.group(2)
        days = {"week": 7, "weekly": 7, "month": 30, "monthly": 30}.get(period, 1)
        return _role("rpd", number.value / days, number)
    return None


def _people(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    if _ORGANISATION_AFTER.match(after) or _ORGANISATION_BEFORE.search(before):
        return _role("organisation", number.value, number)
    if _TEAM_MEMBERS.match(after):
        return _role("users", number.value, number)
    if _TEAM_OF.search(before):
        return None
    if _CONCURRENCY_AFTER.match(after) or _CONCURRENCY_BEFORE.search(before):
        return _role("concurrent", number.value, number)
    if _SESSION_USERS.match(after):
        return _role("concurrent", number.value, number)
    if _USERS.match(after):
        kind = "concurrent" if _CONCURRENCY_NEAR.match(after) else "users"
        return _role(kind, number.value, number)
    return None


def _gpus(sentence: str, number: Number, before: str, after: str, region: str) -> Role | None:
    if _GPUS.match(after):
        return _role("gpus", number.value, number)
    mentions_gpu = "gpu" in sentence
    if mentions_gpu and _GPUS_OF_THEM.match(after):
        return _role("gpus", number.value, number)
    if mentions_gpu and _GPUS_BARE_BEFORE.search(before) and not re.match(r"^\s*[a-z]", after):
        return _role("gpus", number.value, number)
    return None
