"""The recommendation engine behind the flow's :class:`~bot.conversation.ports.Recommender` port.

:class:`EngineRecommender` hands the thread's what-if pins (a precision, a replica count, a GPU)
to ``recommend.engine.recommend`` as inputs — the engine searches only the pinned precision or
GPU and sizes a pinned replica count as given — and remembers recent answers, since the context
is read-only and the same requirements and pins give the same answer. :class:`ReloadingRecommender`
(what ``preflight serve`` and ``chat`` use) loads the data directory again once ``preflight
ingest`` or ``simulate calibrate`` changed it, so a running Preflight answers — and "recheck"
compares — on the data as it is now. A thread's workspace may
be a tenant limited to some GPUs (``gpus_for``): it is answered from a copy of the context that
rules the others out, so they are never recommended and their exclusion says why. It must not hold
conversation logic, re-size options itself, talk to a service or know a channel.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.conversation.thread_keys import workspace_of
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
        gpus_for: The GPU names or families a workspace (None: a thread without one) may use;
            empty = any. None = no limits.
    """

    def __init__(
        self,
        context: RecommendContext,
        *,
        limit: int = 5,
        gpus_for: Callable[[str | None], Sequence[str]] | None = None,
    ) -> None:
        self._context = context
        self._limit = limit
        self._gpus_for = gpus_for
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Recommendation] = OrderedDict()
        self._limited: dict[frozenset[str], RecommendContext] = {}

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        """Recommend (see the port); a repeated question is answered from memory."""
        context = self._context_of(thread)
        allowed = sorted(context.allowed_gpus or ())
        key = requirements.model_dump_json() + pin.model_dump_json() + ",".join(allowed)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = recommend(requirements, context=context, limit=self._limit, pins=engine_pins(pin))
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > CACHED:
                self._answers.popitem(last=False)
        return answer

    def _context_of(self, thread: str) -> RecommendContext:
        """The context for a thread: the shared one, or a copy limited to its tenant's GPUs
        (one per distinct list, kept, so its simulator memo is reused)."""
        allowed = frozenset(self._gpus_for(workspace_of(thread))) if self._gpus_for else None
        if not allowed:
            return self._context
        with self._lock:
            if allowed not in self._limited:
                self._limited[allowed] = dataclasses.replace(self._context, allowed_gpus=allowed)
            return self._limited[allowed]

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
        gpus_for: The GPUs a workspace may use (see :class:`EngineRecommender`).
    """

    def __init__(
        self,
        build: Callable[[], RecommendContext],
        *,
        data_dir: Path,
        context: RecommendContext | None = None,
        limit: int = 5,
        gpus_for: Callable[[str | None], Sequence[str]] | None = None,
    ) -> None:
        self._build = build
        self._data_dir = data_dir
        self._limit = limit
        self._gpus_for = gpus_for
        self._lock = threading.Lock()
        self._stamp = data_stamp(data_dir)
        self._engine = EngineRecommender(context or build(), limit=limit, gpus_for=gpus_for)

    def _current(self) -> EngineRecommender:
        stamp = data_stamp(self._data_dir)
        with self._lock:
            if stamp != self._stamp:
                self._engine = EngineRecommender(
                    self._build(), limit=self._limit, gpus_for=self._gpus_for
                )
                self._stamp = stamp
            return self._engine

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        """Recommend on the data as it is now (see the port)."""
        return self._current()(requirements, pin=pin, thread=thread)

    @property
    def context(self) -> RecommendContext:
        """The engine's context (read again if the data changed)."""
        return self._current().context
