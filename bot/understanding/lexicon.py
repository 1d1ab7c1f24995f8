"""The words Preflight understands: tasks, GPU names, SLO words, priority, precision and license.

Each concept is a small table of regular expressions over lower-cased text, plus the function that
reads it. Numbers are :mod:`bot.understanding.quantities`' business and model names
:mod:`bot.understanding.model_names`'; this module must stay free of both, and of anything slow to
import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.requirements import (
    GpuFamily,
    LicenseStance,
    Priority,
    QuantizationStance,
    SloMetric,
    Task,
)

USER_FAMILIES = tuple(GpuFamily)[:10]
"""The families users name in requirements (``T4`` … ``Gaudi3``), in catalog order."""

_GPU_NAMES: tuple[tuple[str, GpuFamily], ...] = (
    (r"rtx[- ]?pro[- ]?6000(?:[- ]blackwell)?", GpuFamily.RTX_PRO_6000),
    (r"rtx[- ]?4090", GpuFamily.RTX_4090),
    (r"mi[- ]?300x?", GpuFamily.MI300X),
    (r"mi[- ]?325x", GpuFamily.MI325X),
    (r"mi[- ]?355x", GpuFamily.MI355X),
    (r"mi[- ]?250x?", GpuFamily.MI250),
    (r"gaudi[- ]?3", GpuFamily.GAUDI3),
    (r"gaudi[- ]?2", GpuFamily.GAUDI2),
    (r"gh200", GpuFamily.GH200),
    (r"gb200", GpuFamily.GB200),
    (r"gb300", GpuFamily.GB300),
    (r"h100", GpuFamily.H100),
    (r"h200", GpuFamily.H200),
    (r"b200", GpuFamily.B200),
    (r"b300", GpuFamily.B300),
    (r"a100", GpuFamily.A100),
    (r"a10g?", GpuFamily.A10G),
    (r"a30", GpuFamily.A30),
    (r"l40s", GpuFamily.L40S),
    (r"l40", GpuFamily.L40),
    (r"l4", GpuFamily.L4),
    (r"t4", GpuFamily.T4),
)
_GPU = re.compile(
    r"(?:(?<![a-z0-9])|(?<=\dx))(?:(?:nvidia|amd|intel|habana)\s+)?("
    + "|".join(f"(?P<g{index}>{pattern})" for index, (pattern, _) in enumerate(_GPU_NAMES))
    + r")(?:[- ](?:sxm\d?|pcie|nvl))?(?:[- ]?\d{2,3}\s?gb)?(?:'?s)?(?![a-z0-9])"
)
_NEGATIONS = (
    ("no",),
    ("not",),
    ("never",),
    ("without",),
    ("except",),
    ("excluding",),
    ("avoid",),
    ("besides",),
    ("anything", "but"),
    ("everything", "but"),
    ("all", "but"),
    ("other", "than"),
    ("can't", "use"),
    ("cannot", "use"),
    ("won't", "use"),
    ("don't", "have"),
    ("don't", "want"),
    ("don't", "use"),
    ("not", "use"),
)
_FILLER = {"or", "nor", "and", ",", "/", "a", "an", "the", "any", "on", "use", "using", "gpu"}
_WORD = re.compile(r"[a-z0-9']+|[,/]")


@dataclass(frozen=True)
class GpuMention:
    """A GPU family named in text.

    Attributes:
        family: The family.
        start: Offset of the mention.
        end: Offset just past it (plural, memory size and form factor included).
        negated: Whether the text rules it out ("no H100s", "anything but T4").
    """

    family: GpuFamily
    start: int
    end: int
    negated: bool


def find_gpus(text: str) -> list[GpuMention]:
    """GPU families named in ``text``, each marked when the text rules it out.

    Args:
        text: Lower-cased text.

    Returns:
        Mentions in order of appearance.
    """
    mentions: list[GpuMention] = []
    for match in _GPU.finditer(text):
        index = next(int(name[1:]) for name, value in match.groupdict().items() if value)
        family = _GPU_NAMES[index][1]
        negated = _is_negated(text, match.start(), mentions)
        mentions.append(GpuMention(family, match.start(), match.end(), negated))
    return mentions


def _is_negated(text: str, start: int, earlier: list[GpuMention]) -> bool:
    """Whether a negation precedes the mention, with only other GPU names and "or" between."""
    head = text[max(0, start - 80) : start]
    offset = start - len(head)
    for mention in reversed(earlier):
        if mention.end <= offset:
            break
        local_start = max(0, mention.start - offset)
        head = head[:local_start] + " gpu " + head[mention.end - offset :]
    head = re.split(r"[.;:!?()\n]", head)[-1]
    words = _WORD.findall(head)
    while words and words[-1] in _FILLER | {"gpus"}:
        words.pop()
    return any(tuple(words[-len(phrase) :]) == phrase for phrase in _NEGATIONS)


def allowed_families(mentions: list[GpuMention]) -> list[GpuFamily]:
    """The families a team allows: those named, minus those ruled out.

    When only exclusions are given, every family users name except those is allowed.

    Args:
        mentions: What :func:`find_gpus` found.

    Returns:
        Allowed families, in the order named (catalog order when only exclusions were given).
    """
    ruled_out = {mention.family for mention in mentions if mention.negated}
    named = [mention.family for mention in mentions if not mention.negated]
    if not named and ruled_out:
        named = list(USER_FAMILIES)
    return [family for family in dict.fromkeys(named) if family not in ruled_out]


_TASK_RULES: tuple[tuple[Task, re.Pattern[str]], ...] = tuple(
    (task, re.compile(pattern))
    for task, pattern in (
        (
            Task.CODE_COMPLETION,
            r"\bcode[- ]?complet\w*|\bautocomplet\w*|\b(?:tab|inline|ide"
            r"|fill[- ]in[- ]the[- ]middle)[- ]complet\w*"
            r"|\bcompletions? (?:in|for) (?:the |our )?(?:ide|editor|vs ?code)",
        ),
        (
            Task.CODE_GENERATION,
            r"\bcode[- ]?gen\w*|\b(?:generat|writ|produc)\w* (?:[\w-]+ ){0,3}?(?:code|sql|scripts?"
            r"|unit[- ]tests?|tests|functions|programs|queries)\b|\btext[- ]to[- ](?:sql|code)\b"
            r"|\bcoding assistant\b|\b(?:copilot|assistant|bot) for (?:[\w-]+ ){0,2}(?:sql|code"
            r"|coding|programming)\b",
        ),
        (Task.TRANSLATION, r"\btranslat\w*|\blocali[sz]ation\b"),
        (Task.SUMMARIZATION, r"\bsummar(?:y|ies|i[sz]\w*)"),
        (Task.EXTRACTION, r"\bextract\w*|\bentit(?:y|ies)\b|\bpars(?:e|es|ing)\b|\bner\b"),
        (
            Task.AGENTIC,
            r"\bagentic\b|\ban? (?:[\w-]+ )?agent\b|(?:^|[.;!?]\s*)agents? for\b"
            r"|\bagents? (?:in parallel|running|concurrently)\b|\bagents? (?:that|which|to) "
            r"|\btool[- ](?:calls?|calling|use|using)\b|\bfunction[- ]calling\b"
            r"|\bcalls? (?:[\w-]+ ){0,2}(?:tools|apis)\b",
        ),
        (
            Task.RAG,
            r"\brag\b|\bretrieval\b|\bknowledge[- ]base\b|\b(?:document|doc|pdf)s? (?:qa|q&a)\b"
            r"|\bquestion[- ]answering (?:over|on)\b|\bover (?:our|the|its) (?:[\w-]+ )?"
            r"(?:docs|documents|documentation|wiki|confluence|runbooks|policies|knowledge)\b",
        ),
        (Task.CHATBOT, r"\bchat\w*"),
        (Task.BATCH, r"\bbatch\w*|\boffline\b|\bbulk\b"),
    )
)
_WEAK_TASK_RULES: tuple[tuple[Task, re.Pattern[str]], ...] = tuple(
    (task, re.compile(pattern))
    for task, pattern in (
        (
            Task.CHATBOT,
            r"\bassistant\b|\bbot\b|\bhelp ?desk\b|\bcustomer (?:support|service)\b"
            r"|\bq&a\b|\bfaq\b|\bconversation\w*|\bcopilot\b",
        ),
        (Task.EXTRACTION, r"\bocr\b|\bjson\b|\binvoices?\b"),
        (Task.BATCH, r"\bnightly\b|\bovernight\b"),
    )
)


def find_task(text: str) -> Task | None:
    """The task a message describes; the most specific wording wins ("RAG chatbot" → rag).

    Args:
        text: Lower-cased text with model names masked.

    Returns:
        The task, or None when nothing names one.
    """
    found = find_task_rule(text)
    return None if found is None else found[0]


def find_task_rule(text: str) -> tuple[Task, bool] | None:
    """The task the rules read, and whether its wording names the task ("summarize", "RAG")
    rather than only hinting at one ("bot", "assistant", "JSON", "nightly").

    Args:
        text: Lower-cased text with model names masked.

    Returns:
        (task, named), or None when no rule matches.
    """
    for rules, named in ((_TASK_RULES, True), (_WEAK_TASK_RULES, False)):
        for task, pattern in rules:
            if pattern.search(text):
                return task, named
    return None


SLO_CUES: tuple[tuple[SloMetric, re.Pattern[str]], ...] = (
    (
        SloMetric.TTFT,
        re.compile(
            r"first[- ]token|\bttft\b|time[- ]to[- ]first|\b(?:start|begin)\w*|\bfirst "
            r"(?:word|byte|response)"
        ),
    ),
    (
        SloMetric.ITL,
        re.compile(
            r"inter[- ]?token|\bitl\b|\btpot\b|per[- ](?:output[- ])?token|between tokens"
            r"|time per output token|token[- ]to[- ]token"
        ),
    ),
    (
        SloMetric.E2E,
        re.compile(
            r"end[- ]to[- ]end|\be2e\b|\b(?:full|complete|whole|entire|total|final)\b|come "
            r"back|\bback (?:with)?in\b|\bfinish\w*|\bturnaround\b"
        ),
    ),
)
BARE_LATENCY = re.compile(r"\blatenc\w*|\bresponse[- ]times?\b|\brespon[ds]\w*|\brepl(?:y|ies)\b")
COMPARATOR = re.compile(r"within|under|below|less than|faster than|≤|<|at most|no more than|max")
_PERCENTILE = re.compile(
    r"\bp(50|90|95|99)(?:\.\d+)?\b|\b(50|90|95|99)(?:th)?[- ]?(?:percentile|pct)\b|\b(50|90|95|99)"
    r"(?:\.\d+)?\s?% of (?:the time|requests|queries|calls)|\b(median|typical\w*|on average|average"
    r"|mean)\b|\b(50|90|95|99) (?:out )?of (?:every |each |the )?100\b|\b(9) (?:times )?out of 10\b"
    r"|\b(19) (?:times )?out of 20\b"
    r"|\bhalf (?:of )?(?:the |all )?(?:requests|queries|calls|the time)\b"
)
_WORDED = {"9": 90, "19": 95}


def find_percentiles(text: str) -> list[tuple[int, int]]:
    """Percentiles named in ``text``, as (offset, percentile).

    Args:
        text: Lower-cased text.

    Returns:
        (offset, 50/90/95/99) in order of appearance; median, typical and average are 50.
    """
    found = []
    for match in _PERCENTILE.finditer(text):
        number = next((group for group in match.groups()[:3] if group), None)
        number = number or match.group(5)
        worded = match.group(6) or match.group(7)
        value = _WORDED[worded] if worded else int(number) if number else 50
        found.append((match.start(), value))
    return found


_QUANT = r"(?:quanti[sz]\w*|fp8|int8|int4|fp4|4[- ]?bit|8[- ]?bit|awq|gptq|gguf)"
_EIGHT_OR_ANY = r"(?:quanti[sz]\w*|fp8|int8|8[- ]?bit)"
_FOUR = r"(?:4[- ]?bit|int4|fp4|awq|gptq)"
_REFUSED = (
    r"(?:not (?:allowed|ok|okay|acceptable|an option)|forbidden|off the table|prohibited|banned)"
)
_SIXTEEN = r"(?:bf16|fp16|16[- ]?bit|full[- ]precision|half[- ]precision)"
_FORBIDDEN = re.compile(
    r"\bno quanti[sz]\w*(?! (?:below|under|lower|beyond|past))|\bno (?:fp8|int8|8[- ]?bit)\b"
    r"|\b(?:not|never|n't|cannot|can't) (?:be )?quanti[sz]|\bwithout quanti[sz]"
    rf"|\bunquanti[sz]ed\b|{_EIGHT_OR_ANY} (?:is |are )?{_REFUSED}"
    rf"|\b{_SIXTEEN}(?: weights)? only\b|\bonly {_SIXTEEN}\b|\bfull {_SIXTEEN}"
    rf"|\b(?:stay|remain|kept|keep \w+) (?:in |at )?{_SIXTEEN}"
    rf"|\bin full precision\b"
)
_EIGHT = r"(?:8[- ]?bit|fp8|int8)"
_EIGHT_BIT = re.compile(
    rf"(?:nothing|not|no|never) (?:\w+ )?(?:below|under|lower than|less than|smaller than) {_EIGHT}"
    rf"|\b{_EIGHT}(?: weights)? only\b|\bonly {_EIGHT}\b|\b{_EIGHT} at the lowest\b"
    rf"|{_EIGHT}[^.;]{{0,40}}\b(?:lowest|minimum|at least|floor)\b|\b(?:lowest|minimum|at least) "
    rf"(?:precision )?(?:is |of )?{_EIGHT}|\bno {_FOUR}\b|{_FOUR} (?:is |are )?{_REFUSED}"
)
_ALLOWED = re.compile(
    rf"{_QUANT}[^.;]{{0,40}}?\b(?<!not )(?:fine|ok|okay|acceptable|allowed|welcome|works|good"
    rf"|no problem)\b|\b(?:can|may|happy to|fine to|ok to|okay to) quanti[sz]e\b|\bany quanti[sz]"
    rf"|{_QUANT}(?:[ /-]{_QUANT})?(?: weights| quantization| checkpoints?)? (?:please|preferred"
    rf"|wanted|would be (?:great|nice))\b|\b(?:want|prefer|like|need) {_QUANT}"
    rf"|\b(?:in|at|with|use|using|run|serve|quanti[sz]ed to) "
    rf"(?:fp8|int8|int4|fp4|awq|gptq|4[- ]?bit|8[- ]?bit)\b"
)


def find_quantization(text: str) -> QuantizationStance | None:
    """The quantization stance the text states; refusals beat limits, limits beat permissions.

    Args:
        text: Lower-cased text.

    Returns:
        The stance, or None when the text says nothing about precision.
    """
    if _FORBIDDEN.search(text):
        return QuantizationStance.FORBIDDEN
    if _EIGHT_BIT.search(text):
        return QuantizationStance.EIGHT_BIT
    if _ALLOWED.search(text):
        return QuantizationStance.ALLOWED
    return None


_PERMISSIVE = re.compile(
    r"\bpermissive(?:ly)?\b|\bapache(?:[- ]?2(?:\.0)?)?(?:\s*(?:/|or|and)\s*mit)\b|\bmit\s*(?:/|or)"
    r"\s*apache|\bapache[- ]2(?:\.0)?\b|\b(?:apache|mit)[- ]licen[cs]\w*"
)
_OPEN_WEIGHTS = re.compile(
    r"\bopen[- ]weights?\b|\bopen[- ]source (?:models?|licen[cs]\w*|only)|\bopen[- ]licen[cs]\w*"
    r"|\bopenly licen[cs]ed\b|\bdownloadable weights\b"
)


def find_license(text: str) -> LicenseStance | None:
    """The license stance the text states.

    Args:
        text: Lower-cased text.

    Returns:
        ``permissive`` when Apache/MIT/permissive is required, ``open-weights`` when any
        downloadable weights will do, else None.
    """
    if _PERMISSIVE.search(text):
        return LicenseStance.PERMISSIVE
    if _OPEN_WEIGHTS.search(text):
        return LicenseStance.OPEN_WEIGHTS
    return None


_SUBJECTS = {
    Priority.COST: r"cost|costs|price|cheap\w*|money|spend|dollars?|budget",
    Priority.LATENCY: r"latency|speed|fast\w*|responsiveness|snappy|quick\w*",
    Priority.ACCURACY: r"quality|accuracy|accurate|correctness|smart\w*|capability",
}
_RANKED = (
    r"(?:[\w-]+ ){0,3}?(?:is |are )?(?:what (?:matters|counts|we care about) most"
    r"|(?:matters?|counts?) (?:the )?most|matters? more than anything|more than anything"
    r"|above all|(?:is |are )?(?:our )?(?:the )?(?:top|first|main|primary|#1|number one|highest)"
    r" priority|(?:is |are )?all (?:we|that) (?:care about|matters?)|is (?:the )?(?:key|king)"
    r"|first\b(?![- ]token))"
)
_BEATS = (
    r"(?:matters? more than|beats?|trumps?|wins? over|is everything|are everything|comes? first"
    r"|over everything|over anything|before anything|before everything)\b"
)
_PRIORITY_RULES: tuple[tuple[Priority, re.Pattern[str]], ...] = (
    *(
        (priority, re.compile(rf"\b(?:{subject})\b {_RANKED}"))
        for priority, subject in _SUBJECTS.items()
    ),
    *(
        (priority, re.compile(rf"\bprefer\w* (?:\w+ )?(?:{subject})\w* (?:over|to|than)\b"))
        for priority, subject in _SUBJECTS.items()
    ),
    *(
        (priority, re.compile(rf"\b(?:{subject})\w* (?:\w+ )?{_BEATS}"))
        for priority, subject in _SUBJECTS.items()
    ),
    *(
        (
            priority,
            re.compile(
                rf"\b(?:above all|first and foremost|most of all)\b[^.;]{{0,30}}?"
                rf"\b(?:{subject})\b"
            ),
        )
        for priority, subject in _SUBJECTS.items()
    ),
    (
        Priority.COST,
        re.compile(
            r"\bcheapest\b|\bas cheap as\b|\b(?:needs? to|must|has to|should) be cheap\b|\blowest"
            r"[- ]cost\b|\bminimi[sz]e (?:the )?(?:cost|spend)|\bcost[- ](?:first|optimi[sz]ed)\b"
            r"|\bper dollar\b[^.;]{0,30}\b(?:care|matters?)\b"
        ),
    ),
    (
        Priority.LATENCY,
        re.compile(r"\bas fast as possible\b|\blowest[- ]latency\b|\bfastest\b|\bspeed first\b"),
    ),
    (
        Priority.ACCURACY,
        re.compile(r"\b(?:best|highest)[- ](?:possible )?(?:quality|accuracy)\b|\bmost accurate\b"),
    ),
    (
        Priority.BALANCED,
        re.compile(r"\bbalance[ds]?\b|\btrade[- ]?off\b|\bmiddle ground\b|\bequally\b"),
    ),
)


def find_priority(text: str) -> Priority | None:
    """What the text ranks as mattering most; the earliest ranking statement wins.

    Args:
        text: Lower-cased text.

    Returns:
        The priority, or None when nothing is ranked.
    """
    best: tuple[int, Priority] | None = None
    for priority, pattern in _PRIORITY_RULES:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), priority)
    return best[1] if best else None
