"""What a message names that understanding cannot place, said back instead of dropped.

A GPU-looking name no family matches ("RTX 9090", "V100") and a model name with a size the
catalog lacks ("Llama 4 70B") are reported with the closest names Preflight knows, so the user
can correct in one message: "I don't know 'RTX 9090' (closest: RTX 4090, RTX PRO 6000)",
"'Llama 4 70B' is not a model I know: Llama-3.3-70B or Llama-4-Scout?". Each finding carries its
span so the reader can mask it: an unknown GPU's digits must not become a GPU count ("RTX 9090
GPUs" is not "at most 9090 GPUs"). This module only reports; it never guesses a replacement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from bot.understanding.model_names import ModelMention
from domain.catalog import ModelSpec
from domain.requirements import GpuFamily
from knowledge.catalog import closest_names

_GPU_LIKE = re.compile(
    r"(?<![\w-])(?:(?:nvidia|amd|intel|geforce)\s+)?(rtx\s?(?:pro\s?)?\d{3,4}(?:\s?ti|\s?super)?|gtx\s?\d{3,4}(?:\s?ti)?"
    r"|quadro\s?[a-z]*\d+\w*|tesla\s?[a-z]?\d+\w*|[ahlv]\d{2,3}[a-z]?|b\d{3}[a-z]?|mi\s?\d{3}[a-z]?"
    r"|gaudi\s?\d|tpu\s?v?\d\w*|radeon\s?\w+)(?:'?s)?(?![\w-])"
)
_SIZE_AFTER = re.compile(r"[\s-]*(\d+(?:\.\d+)?b)\b")
_FAMILY_WORD = re.compile(r"[a-z]+")
_QUANTIZED = re.compile(r"-(?:fp8|fp4|fp8-kv)$|^(?:nvidia|amd)/", re.IGNORECASE)
_SHORT = re.compile(r"-(?:instruct|hf|it|chat|v0\.\d)$", re.IGNORECASE)


@dataclass(frozen=True)
class Unplaced:
    """A name that could not be placed.

    Attributes:
        start: Offset of the name in the text it was found in.
        end: Offset just past it.
        message: What to tell the user, with the closest known names.
    """

    start: int
    end: int
    message: str


def _gpu_label(family: GpuFamily) -> str:
    return family.value.replace("-", " ")


def unknown_gpus(text: str) -> list[Unplaced]:
    """GPU-looking names left in ``text`` after the known GPUs were masked.

    Args:
        text: Lower-cased text in which known GPU names are already replaced by ``gpu``.

    Returns:
        One finding per unknown name, with the closest known GPUs.
    """
    labels = [_gpu_label(family) for family in GpuFamily]
    found = []
    for match in _GPU_LIKE.finditer(text):
        written = match.group(1).upper().replace("PRO", "PRO ").replace("  ", " ").strip()
        closest = ", ".join(closest_names(written.lower(), labels, 2))
        message = f"I don't know the GPU '{written}' (closest: {closest})"
        found.append(Unplaced(match.start(), match.end(), message))
    return found


def unknown_pin(written: str, closest: tuple[str, ...], start: int, end: int) -> Unplaced:
    """A memory size or form factor no catalog model of its family has ("A100 32GB").

    Args:
        written: The mention as written.
        closest: The closest catalog models.
        start: Its offset.
        end: Just past it.

    Returns:
        The finding.
    """
    message = f"I don't know the GPU '{written.upper()}' (closest: {', '.join(closest)})"
    return Unplaced(start, end, message)


def _short(hf_id: str) -> str:
    return _SHORT.sub("", hf_id.split("/")[-1])


def unknown_models(
    text: str, mentions: list[ModelMention], catalog: Mapping[str, ModelSpec]
) -> list[Unplaced]:
    """Model names with a size the catalog lacks ("Llama 4 70B", "Qwen3 9B").

    A family alone ("Qwen3") is no model and is not reported; a family with a size is a model
    the user means, so it must be answered.

    Args:
        text: Lower-cased text the mentions were found in.
        mentions: What :func:`bot.understanding.model_names.find_models` found.
        catalog: The model catalog.

    Returns:
        One finding per unknown model, with the closest catalog models.
    """
    names = _names(tuple(sorted(catalog)))
    placed = [(m.start, m.end) for m in mentions if m.model_id is not None]
    found = []
    for match in _family_pattern(names).finditer(text):
        if any(start < match.end() and match.start() < end for start, end in placed):
            continue
        family, rest, size = match.group("family"), match.group("rest"), match.group("size")
        label = f"{family.capitalize()}{rest}{match.group('sep')}{size.upper()}"
        closest = _closest_models(family, rest.strip(" -"), size, names)
        message = f"'{label.strip()}' is not a model I know: {' or '.join(closest)}?"
        found.append(Unplaced(match.start(), match.end(), message))
    return found


@cache
def _names(ids: tuple[str, ...]) -> tuple[str, ...]:
    """Catalog models as people name them (no org, no -Instruct, no quantized copies), newest
    first."""
    short = {_short(hf_id) for hf_id in ids if not _QUANTIZED.search(hf_id)}
    return tuple(sorted(short, reverse=True))


@cache
def _family_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    families = sorted({m.group() for n in names if (m := _FAMILY_WORD.match(n.lower()))}, key=len)
    return re.compile(
        rf"(?<![\w/-])(?P<family>{'|'.join(reversed(families))})"
        r"(?P<rest>[\w. -]{0,10}?)(?P<sep>[ -])(?P<size>\d+(?:\.\d+)?b)(?![\w])"
    )


def _closest_models(family: str, version: str, size: str, names: tuple[str, ...]) -> list[str]:
    """The family's model of that size (newest first) and the family's model of that version."""
    same_family = [name for name in names if name.lower().startswith(family)]
    by_size = [name for name in same_family if f"-{size.upper()}" in name.upper()]
    by_version = [
        name
        for name in same_family
        if version and name.lower()[len(family) :].lstrip("-").startswith(version)
    ]
    picked = list(dict.fromkeys([*by_size[:1], *by_version[:2]]))[:2]
    return picked or same_family[:2] or closest_names(f"{family}-{version}-{size}", names, 2)
