"""The port for a durable inbox: messages a channel acknowledged and a worker still has to answer.

A channel :meth:`Inbox.put` s a job (a small JSON object it defines) before it acknowledges the
delivery, so an acknowledged message is never only in a process's memory. Workers
:meth:`Inbox.claim` jobs under a lease: a job a worker took and did not finish (the process was
killed, the store went away) is handed to another worker once its lease ran out. A finished job
is :meth:`Inbox.done`; a worker still busy with a job :meth:`Inbox.renew` s its lease, so a lease
can be short (a killed replica's jobs move on quickly) while a slow turn keeps its job. A job
that waits for something else to happen first (a thread reply whose thread's opening mention
has not come yet: Slack retries a refused mention a minute, then five minutes later) is
:meth:`Inbox.park` ed under a key, out of the workers' way, until :meth:`Inbox.unpark` puts
what waits under that key back, or the key's time runs out (nothing came for it: the jobs are
dropped).

A lease is not a lock: a worker slower than the lease may find its job handed on. Processing is
made exactly-once by the state store (the event id is recorded by the save of the state it
produced), not by the inbox.

Two implementations ship: ``bot.adapters.memory_inbox`` (in-process, the embedded default, gone
with the process) and ``bot.adapters.redis_inbox`` (a Redis stream with a consumer group, shared
by every replica). This module must not import either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Job = dict[str, Any]
"""A JSON object: what the channel needs to process one delivery."""


@dataclass(frozen=True)
class Lease:
    """A job taken by a worker.

    Attributes:
        id: The inbox's id of this copy of the job.
        job: The job.
        consumer: The worker holding it.
        handed_on: True when another worker's lease on it ran out (that worker may have died
            after saving, so the kept replies may still have to be posted).
    """

    id: str
    job: Job
    consumer: str
    handed_on: bool = False


class Inbox(Protocol):
    """Jobs acknowledged to a chat platform and not yet answered."""

    def put(self, *, job: Job) -> None:
        """Append a job; when this returns the job survives the process.

        Args:
            job: The job.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached (do not acknowledge).
        """
        ...

    def claim(self, *, consumer: str, count: int, wait_s: float) -> list[Lease]:
        """Take up to ``count`` jobs: ones whose lease ran out first, then new ones.

        Args:
            consumer: This worker's name (unique per process and thread).
            count: At most this many.
            wait_s: Wait this long for a job when none is there.

        Returns:
            The leases; empty when nothing came within ``wait_s``.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached.
        """
        ...

    def done(self, *, lease: Lease) -> None:
        """Remove a finished job.

        Args:
            lease: The lease :meth:`claim` returned.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached (the job is handed out again
                after its lease; the state store makes that harmless).
        """
        ...

    def renew(self, *, leases: Sequence[Lease]) -> None:
        """Start the leases of jobs still being worked on afresh.

        Args:
            leases: Leases :meth:`claim` returned and not yet finished.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached.
        """
        ...

    def park(self, *, lease: Lease, key: str, job: Job, keep_s: float) -> None:
        """Finish this copy and keep ``job`` aside under ``key`` until :meth:`unpark`.

        Args:
            lease: The lease :meth:`claim` returned.
            key: What the job waits for (a thread id).
            job: The job to keep.
            keep_s: Drop what waits under ``key`` once nothing was parked there for this long.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached (the lease stays).
        """
        ...

    def unpark(self, *, key: str) -> int:
        """Put every job parked under ``key`` back at the end of the inbox, in parking order.

        Args:
            key: What the jobs waited for.

        Returns:
            How many came back (0 when none waited).

        Raises:
            BackendUnavailableError: When the inbox cannot be reached.
        """
        ...

    def parked(self) -> int:
        """How many jobs are parked, under every key.

        Returns:
            The count.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached.
        """
        ...

    def depth(self) -> int:
        """How many jobs are waiting or being worked on (parked ones not counted).

        Returns:
            The count.

        Raises:
            BackendUnavailableError: When the inbox cannot be reached.
        """
        ...
