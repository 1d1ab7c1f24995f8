"""A bounded, thread-safe memory of simulator answers, shared by every recommendation.

A :class:`~recommend.context.RecommendContext` is read-only, so the simulator's answer for one
configuration (the capacity search, a first look, a memory fit, a discrete-event run) depends
only on immutable inputs: the catalog names, the frozen serving configuration, the token shape
and the SLO targets. :class:`Memo` keeps recent answers under such keys, least recently used
out first, so a conversation's follow-up questions do not redo the same capacity searches.
Keys must hold every input the answer depends on; this module never decides what they are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.serving import ServingConfig

T = TypeVar("T")
MAX_ENTRIES = 50_000  # answers remembered at most (each well under a kilobyte)


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


def _same(kept: tuple[object, ...], asked: tuple[object, ...]) -> bool:
    return len(kept) == len(asked) and all(
        a is b or a == b for a, b in zip(kept, asked, strict=True)
    )


class Memo:
    """Recent answers by key, least recently used dropped first.

    Args:
        max_entries: How many answers to keep at most.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T], *, owners: tuple[object, ...] = ()) -> T:
        """The remembered answer for ``key``, computing and keeping it when there is none.

        ``owners`` are inputs that are not hashable (catalog specs, named in ``key`` by their
        catalog name): a remembered answer counts only when they are the same objects (or
        equal), so a spec altered under the same name is never answered from memory. Two
        threads asking at once may both compute; the answers are equal, so either is kept.

        Args:
            key: Every hashable input the answer depends on.
            compute: Computes the answer.
            owners: The unhashable inputs.

        Returns:
            The answer.
        """
        found = self.peek(key)
        if isinstance(found, _Entry) and _same(found.owners, owners):
            return found.answer  # type: ignore[no-any-return]
        answer = compute()
        self.put(key, _Entry(owners, answer))
        return answer

    def peek(self, key: Hashable) -> object | None:
        """What is remembered under ``key``, or None (without computing).

        Args:
            key: The key.

        Returns:
            The entry or None.
        """
        with self._lock:
            if key not in self._answers:
                return None
            self._answers.move_to_end(key)
            return self._answers[key]

    def put(self, key: Hashable, answer: object) -> None:
        """Remember an entry.

        Args:
            key: Every input the answer depends on.
            answer: The entry.
        """
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self._max:
                self._answers.popitem(last=False)

    def __len__(self) -> int:
        """How many answers are remembered.

        Returns:
            The count.
        """
        with self._lock:
            return len(self._answers)
