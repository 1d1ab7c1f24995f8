"""The recommendation engine behind the flow's :class:`~bot.conversation.ports.Recommender` port.

:class:`EngineRecommender` hands the thread's what-if pins (a precision, a replica count, a GPU)
to ``recommend.engine.recommend`` as inputs — the engine searches only the pinned precision or
GPU and sizes a pinned replica count as given — and remembers recent answers, since the context
is read-only and the same requirements and pins give the same answer. :class:`ReloadingRecommender`
(what ``preflight serve`` and ``chat`` use) loads the data directory again once ``preflight
ingest`` or ``simulate calibrate`` changed it, so a running Preflight answers — and "recheck"
compares — on the data as it is now. It must not hold
conversation logic, re-size options itself, talk to a service or know a channel.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from bot.conversation.thread_state import Pin
from domain.recommendation import Recommendation
from domain.requirements import Requirements, Task, TaskDefaults
from recommend.context import RecommendContext, data_stamp
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


class ReloadingRecommender:
    """An :class:`EngineRecommender` built again whenever the data directory changed.

    Each call compares the directory's stamp (:func:`recommend.context.data_stamp`: two
    ``stat`` calls) with the one the engine was built at; when it moved, ``build`` makes a new
    context (records and calibration read again) and the remembered answers go with the old one.

    Args:
        build: Makes a context from the data as it is now.
        data_dir: The data directory watched.
        context: A context already built from the data as it is now (built on first use if None).
        limit: Options shown.
    """

    def __init__(
        self,
        build: Callable[[], RecommendContext],
        *,
        data_dir: Path,
        context: RecommendContext | None = None,
        limit: int = 5,
    ) -> None:
        self._build = build
        self._data_dir = data_dir
        self._limit = limit
        self._lock = threading.Lock()
        self._stamp = data_stamp(data_dir)
        self._engine = EngineRecommender(context or build(), limit=limit)

    def _current(self) -> EngineRecommender:
        stamp = data_stamp(self._data_dir)
        with self._lock:
            if stamp != self._stamp:
                self._engine = EngineRecommender(self._build(), limit=self._limit)
                self._stamp = stamp
            return self._engine

    def __call__(self, requirements: Requirements, *, pin: Pin) -> Recommendation:
        """Recommend on the data as it is now (see the port)."""
        return self._current()(requirements, pin=pin)

    @property
    def context(self) -> RecommendContext:
        """The engine's context (read again if the data changed)."""
        return self._current().context
