"""The recommendation engine behind the flow's :class:`~bot.conversation.ports.Recommender` port.

:class:`EngineRecommender` hands the thread's what-if pins (a precision, a replica count, a GPU)
to ``recommend.engine.recommend`` as inputs — the engine searches only the pinned precision or
GPU and sizes a pinned replica count as given — and remembers recent answers, since the context
is read-only and the same requirements and pins give the same answer. It must not hold
conversation logic, re-size options itself, talk to a service or know a channel.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.conversation.thread_state import Pin
from domain.recommendation import Recommendation
from domain.requirements import Requirements, Task, TaskDefaults
from recommend.context import RecommendContext
from recommend.engine import recommend
from recommend.pins import Pins

CACHED = 256  # recent answers remembered


def engine_pins(pin: Pin) -> Pins:
    """The thread's pins as the engine's input.

    Args:
        pin: The thread's what-if pins.

    Returns:
        The engine's pins.
    """
    return Pins(precision=pin.precision, replicas=pin.replicas, gpu=pin.gpu)


class EngineRecommender:
    """The recommendation engine as the flow's :class:`~bot.conversation.ports.Recommender`.

    Args:
        context: The engine's context, built once.
        limit: Options shown.
    """

    def __init__(self, context: RecommendContext, *, limit: int = 5) -> None:
        self._context = context
        self._limit = limit
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Recommendation] = OrderedDict()

    def __call__(self, requirements: Requirements, *, pin: Pin) -> Recommendation:
        """Recommend (see the port); a repeated question is answered from memory."""
        key = requirements.model_dump_json() + pin.model_dump_json()
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = recommend(
            requirements, context=self._context, limit=self._limit, pins=engine_pins(pin)
        )
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > CACHED:
                self._answers.popitem(last=False)
        return answer

    @property
    def context(self) -> RecommendContext:
        """The engine's context."""
        return self._context

    def defaults(self, task: Task) -> TaskDefaults | None:
        """The defaults of a task.

        Args:
            task: The task.

        Returns:
            Its defaults, if known.
        """
        return self._context.task_defaults.get(task)
