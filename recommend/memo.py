"""A bounded, thread-safe memory of simulator answers, shared by every recommendation.

A :class:`~recommend.context.RecommendContext` is read-only, so the simulator's answer for one
configuration (the capacity search, a first look, a discrete-event run) and the search's
catalog-derived lists (candidates, the configuration rules' outcome) depend only on immutable
inputs: catalog names, the frozen serving configuration, the token shape, the SLO targets.
:class:`Memo` keeps recent answers under such keys, least recently used out first, within a
budget of roughly kilobytes (each answer states its weight), so a conversation's follow-up
questions do not redo the same searches and a long-running server stays bounded. Keys must hold
every input the answer depends on; this module never decides what they are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.serving import ServingConfig

T = TypeVar("T")
BUDGET = 64_000  # total weight kept, in about-a-kilobyte units (measured ≈ 1.3 kB: ≈ 85 MB)


def config_key(config: ServingConfig) -> tuple[object, ...]:
    """A serving configuration as a plain tuple (cheaper to hash and compare as a key).

    Args:
        config: The configuration.

    Returns:
        Its field values, in field order.
    """
    return tuple(config.__dict__.values())


@dataclass(frozen=True)
class _Entry:
    owners: tuple[object, ...]
    answer: Any
    weight: int


def _same(kept: tuple[object, ...], asked: tuple[object, ...]) -> bool:
    return len(kept) == len(asked) and all(
        a is b or a == b for a, b in zip(kept, asked, strict=True)
    )


class Memo:
    """Recent answers by key, least recently used dropped first, within a weight budget.

    Args:
        budget: Total weight to keep at most (an answer heavier than this is not kept).
    """

    def __init__(self, budget: int = BUDGET) -> None:
        self._budget = budget
        self._weight = 0
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, _Entry] = OrderedDict()

    def get(
        self,
        key: Hashable,
        compute: Callable[[], T],
        *,
        owners: tuple[object, ...] = (),
        weight: Callable[[T], int] | int = 1,
    ) -> T:
        """The remembered answer for ``key``, computing and keeping it when there is none.

        ``owners`` are inputs that are not hashable (catalog specs, named in ``key`` by their
        catalog name): a remembered answer counts only when they are the same objects (or
        equal), so a spec altered under the same name is never answered from memory. Two
        threads asking at once may both compute; the answers are equal, so either is kept.

        Args:
            key: Every hashable input the answer depends on.
            compute: Computes the answer.
            owners: The unhashable inputs.
            weight: The answer's size in about-a-kilobyte units, or how to tell from it.

        Returns:
            The answer.
        """
        with self._lock:
            entry = self._answers.get(key)
            if entry is not None and _same(entry.owners, owners):
                self._answers.move_to_end(key)
                return entry.answer  # type: ignore[no-any-return]
        answer = compute()
        size = weight(answer) if callable(weight) else weight
        self._put(key, _Entry(owners, answer, max(1, size)))
        return answer

    def peek(self, key: Hashable, *, owners: tuple[object, ...] = ()) -> object | None:
        """The remembered answer for ``key`` (for the same owners), or None; computes nothing.

        Args:
            key: Every hashable input the answer depends on.
            owners: The unhashable inputs.

        Returns:
            The answer, or None when there is none.
        """
        with self._lock:
            entry = self._answers.get(key)
            if entry is None or not _same(entry.owners, owners):
                return None
            self._answers.move_to_end(key)
            answer: object = entry.answer
            return answer

    def put(
        self, key: Hashable, answer: object, *, owners: tuple[object, ...] = (), weight: int = 1
    ) -> None:
        """Remember an answer computed elsewhere (e.g. many at once).

        Args:
            key: Every hashable input the answer depends on.
            answer: The answer.
            owners: The unhashable inputs.
            weight: Its size in about-a-kilobyte units.
        """
        self._put(key, _Entry(owners, answer, max(1, weight)))

    def _put(self, key: Hashable, entry: _Entry) -> None:
        if entry.weight > self._budget:
            return
        with self._lock:
            old = self._answers.pop(key, None)
            self._weight += entry.weight - (old.weight if old else 0)
            self._answers[key] = entry
            while self._weight > self._budget:
                _, dropped = self._answers.popitem(last=False)
                self._weight -= dropped.weight

    def __len__(self) -> int:
        """How many answers are remembered.

        Returns:
            The count.
        """
        with self._lock:
            return len(self._answers)

    @property
    def weight(self) -> int:
        """The total weight of what is remembered.

        Returns:
            The sum of the entries' weights.
        """
        with self._lock:
            return self._weight
