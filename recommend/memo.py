"""A bounded, thread-safe least-recently-used memory of answers, one per context.

A :class:`~recommend.context.RecommendContext` is read-only and owns its :class:`Memo`, so an
answer computed from it depends only on the key its caller names: catalog names (a name means
one spec within one context), the frozen serving configuration, the token shape, the targets.
Only the two seams around pure functions use it — :mod:`recommend.predictions` (the simulator)
and :mod:`recommend.ruling` (the rules stage) — and each builds its keys from every input the
answer depends on; this module never decides what they are. Entries are counted, not weighed:
the oldest goes when :data:`ENTRIES` are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
# Measured with tracemalloc over nine recommendations (the three requirement sets of
# tests/unit/recommend/test_memo.py at 1, 4 and 9 requests/s): 1,165 entries held 5.3 MB, about
# 4.6 kB each (mostly first looks; one rules-stage answer per search is the largest), so 20,000
# entries stay near 90 MB in a long-running server, as the weight budget before them did.
ENTRIES = 20_000


class Memo:
    """Recent answers by key, least recently used dropped first, at most ``entries`` of them.

    Two threads asking at once may both compute; the answers are equal, so either is kept.

    Args:
        entries: How many answers to keep at most.
    """

    def __init__(self, entries: int = ENTRIES) -> None:
        self._entries = entries
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The remembered answer for ``key``, computing and keeping it when there is none.

        Args:
            key: Every input the answer depends on.
            compute: Computes the answer.

        Returns:
            The answer.
        """
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                kept: T = self._answers[key]
                return kept
        answer = compute()
        self._keep([(key, answer)])
        return answer

    def get_many(
        self, keys: Sequence[Hashable], compute: Callable[[list[int]], Sequence[T]]
    ) -> list[T]:
        """The answers for many keys, computing the missing ones in one call.

        Args:
            keys: Every input each answer depends on, one key per answer.
            compute: Computes the answers for the positions (in ``keys``) it is given, in order.

        Returns:
            One answer per key, in order.
        """
        found: dict[int, T] = {}
        with self._lock:
            for i, key in enumerate(keys):
                if key in self._answers:
                    self._answers.move_to_end(key)
                    found[i] = self._answers[key]
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            computed = compute(missing)
            found.update(zip(missing, computed, strict=True))
            self._keep([(keys[i], answer) for i, answer in zip(missing, computed, strict=True)])
        return [found[i] for i in range(len(keys))]

    def _keep(self, answers: Sequence[tuple[Hashable, object]]) -> None:
        with self._lock:
            for key, answer in answers:
                self._answers[key] = answer
                self._answers.move_to_end(key)
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)

    def __len__(self) -> int:
        """How many answers are remembered.

        Returns:
            The count.
        """
        with self._lock:
            return len(self._answers)
