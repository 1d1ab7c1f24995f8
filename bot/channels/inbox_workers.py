"""Worker threads that take jobs from the durable inbox and hand each to its channel's handler.

Each worker claims one job at a time under the inbox's lease, and a heartbeat thread renews the
leases of the jobs in hand every ``renew_s``, so only a dead worker's jobs run out. When the
state store or the inbox is down the worker keeps its job and tries it again with growing
pauses, so an acknowledged message is answered once Redis is back; a worker that dies holding a
job leaves it to another worker once the lease runs out. The handler
finishes the job itself (``done`` or ``park``). It must hold no conversation logic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.conversation.inbox import Inbox, Lease
from domain.errors import BackendUnavailableError

_log = logging.getLogger(__name__)
PAUSES_S = (0.25, 0.5, 1.0, 2.0)
Handler = Callable[[Lease], None]


class InboxWorkers:
    """A pool of threads draining an inbox.

    Args:
        inbox: Where the jobs wait.
        handler: Processes one job and finishes it; raises ``BackendUnavailableError`` to be
            called again with the same lease.
        workers: How many threads.
        name: This process's name; each worker claims as ``<name>-<n>``.
        renew_s: How often the leases of jobs in hand are renewed (well under the lease).
        wait_s: How long one claim waits for a job (bounds how fast :meth:`stop` returns).
    """

    def __init__(
        self,
        inbox: Inbox,
        handler: Handler,
        *,
        workers: int,
        name: str,
        renew_s: float,
        wait_s: float = 1.0,
    ) -> None:
        self._inbox = inbox
        self._handler = handler
        self._count = workers
        self._name = name
        self._renew_s = renew_s
        self._wait_s = wait_s
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._in_hand: dict[str, Lease] = {}

    def start(self) -> None:
        """Start the threads (daemon threads: a stopped process leaves its jobs to the lease)."""
        self._stopping.clear()
        targets = [(self._heartbeat, ())] + [
            (self._run, (f"{self._name}-{number}",)) for number in range(self._count)
        ]
        for target, args in targets:
            thread = threading.Thread(target=target, args=args, daemon=True, name="inbox-worker")
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Let each worker finish its job and stop.

        Args:
            timeout_s: How long to wait for each thread.
        """
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=timeout_s)
        self._threads.clear()

    def _run(self, consumer: str) -> None:
        pauses = _Pauses()
        while not self._stopping.is_set():
            try:
                leases = self._inbox.claim(consumer=consumer, count=1, wait_s=self._wait_s)
            except BackendUnavailableError:
                self._stopping.wait(pauses.next())
                continue
            pauses.reset()
            for lease in leases:
                self._work(lease)

    def _heartbeat(self) -> None:
        while not self._stopping.wait(self._renew_s):
            with self._lock:
                leases = list(self._in_hand.values())
            try:
                self._inbox.renew(leases=leases)
            except BackendUnavailableError:
                _log.warning("could not renew the leases of jobs in hand")

    def _work(self, lease: Lease) -> None:
        with self._lock:
            self._in_hand[lease.id] = lease
        try:
            self._attempt(lease)
        finally:
            with self._lock:
                self._in_hand.pop(lease.id, None)

    def _attempt(self, lease: Lease) -> None:
        pauses = _Pauses()
        while not self._stopping.is_set():
            try:
                self._handler(lease)
                return
            except BackendUnavailableError as exc:
                _log.warning("%s is down; keeping the job and trying again", exc.service)
                self._stopping.wait(pauses.next())
            except Exception as exc:  # noqa: BLE001 - one bad job must not stop the worker
                _log.error("a job failed and is dropped: %s", type(exc).__name__)
                self._drop(lease)
                return

    def _drop(self, lease: Lease) -> None:
        try:
            self._inbox.done(lease=lease)
        except BackendUnavailableError:
            _log.warning("could not drop a failed job; it is retried after its lease")


class _Pauses:
    """Growing pauses between retries: 0.25 s doubling to 2 s."""

    def __init__(self) -> None:
        self._tries = 0

    def next(self) -> float:
        pause = PAUSES_S[min(self._tries, len(PAUSES_S) - 1)]
        self._tries += 1
        return pause

    def reset(self) -> None:
        self._tries = 0
