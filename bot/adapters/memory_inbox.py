"""The in-process inbox: the embedded default, thread-safe, gone when the process ends.

Jobs wait in a deque; a claimed job is kept with its claim time until it is done, and handed to
the next claimer once its lease ran out, as the Redis inbox does; parked jobs wait in a list per
key until unparked or their key's time ran out. It must not do I/O or import a backend library.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from bot.conversation.inbox import Job, Lease


class InMemoryInbox:
    """An :class:`~bot.conversation.inbox.Inbox` in a deque.

    Args:
        lease_s: Seconds a claimed job stays with its worker before another may take it.
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(self, *, lease_s: float = 60.0, clock: Callable[[], float] | None = None):
        self._lease_s = lease_s
        self._clock = clock or time.monotonic
        self._ready = threading.Condition()
        self._waiting: deque[tuple[str, Job]] = deque()
        self._claimed: dict[str, tuple[Job, float, str]] = {}
        self._parked: dict[str, tuple[float, list[Job]]] = {}
        self._ids = itertools.count(1)

    def put(self, *, job: Job) -> None:
        """Append a job (see :meth:`bot.conversation.inbox.Inbox.put`)."""
        with self._ready:
            self._waiting.append((str(next(self._ids)), job))
            self._ready.notify()

    def claim(self, *, consumer: str, count: int, wait_s: float) -> list[Lease]:
        """Take jobs whose lease ran out, then new ones (see the port)."""
        deadline = self._clock() + wait_s
        with self._ready:
            while True:
                leases = self._expired(consumer, count)
                leases += self._fresh(consumer, count - len(leases))
                remaining = deadline - self._clock()
                if leases or remaining <= 0:
                    return leases
                self._ready.wait(timeout=min(remaining, self._lease_s))

    def done(self, *, lease: Lease) -> None:
        """Remove a finished job (see the port)."""
        with self._ready:
            self._claimed.pop(lease.id, None)

    def renew(self, *, leases: Sequence[Lease]) -> None:
        """Start the leases afresh, unless another worker took the job meanwhile (see the port)."""
        with self._ready:
            for lease in leases:
                held = self._claimed.get(lease.id)
                if held is not None and held[2] == lease.consumer:
                    self._claimed[lease.id] = (held[0], self._clock(), lease.consumer)

    def park(self, *, lease: Lease, key: str, job: Job, keep_s: float) -> None:
        """Keep ``job`` under ``key`` and finish this copy (see the port)."""
        with self._ready:
            self._claimed.pop(lease.id, None)
            kept = self._live_parked().get(key, (0.0, []))[1]
            self._parked[key] = (self._clock() + keep_s, [*kept, job])

    def unpark(self, *, key: str) -> int:
        """Put the jobs parked under ``key`` back at the end (see the port)."""
        with self._ready:
            _, jobs = self._live_parked().pop(key, (0.0, []))
            for job in jobs:
                self._waiting.append((str(next(self._ids)), job))
            self._ready.notify(len(jobs))
            return len(jobs)

    def parked(self) -> int:
        """Jobs parked under keys not yet expired (see the port)."""
        with self._ready:
            return sum(len(jobs) for _, jobs in self._live_parked().values())

    def depth(self) -> int:
        """Jobs waiting or claimed (see the port)."""
        with self._ready:
            return len(self._waiting) + len(self._claimed)

    def _live_parked(self) -> dict[str, tuple[float, list[Job]]]:
        """The parked jobs, after dropping keys whose time ran out (call with the lock held)."""
        now = self._clock()
        for key in [key for key, (until, _) in self._parked.items() if until <= now]:
            del self._parked[key]
        return self._parked

    def _expired(self, consumer: str, count: int) -> list[Lease]:
        now = self._clock()
        leases: list[Lease] = []
        for lease_id, (job, claimed_at, _) in list(self._claimed.items()):
            if claimed_at + self._lease_s <= now and len(leases) < count:
                self._claimed[lease_id] = (job, now, consumer)
                leases.append(Lease(id=lease_id, job=job, consumer=consumer, handed_on=True))
        return leases

    def _fresh(self, consumer: str, count: int) -> list[Lease]:
        leases: list[Lease] = []
        while self._waiting and len(leases) < count:
            lease_id, job = self._waiting.popleft()
            self._claimed[lease_id] = (job, self._clock(), consumer)
            leases.append(Lease(id=lease_id, job=job, consumer=consumer))
        return leases
