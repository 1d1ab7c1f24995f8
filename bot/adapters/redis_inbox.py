"""The Redis inbox: a stream with one consumer group, shared by every replica.

``put`` is ``XADD`` (the job as JSON in field ``j``). ``claim`` first takes over jobs pending
longer than the lease with ``XAUTOCLAIM`` (their worker died or lost Redis), then reads new
ones with ``XREADGROUP … BLOCK``; ``renew`` resets a pending entry's idle time with ``XCLAIM …
JUSTID`` while its own consumer still holds it (a Lua script). ``done`` acknowledges and
deletes the entry in one transaction. ``park`` moves a job onto a list of its key
(``<prefix>parked:<key>``, expiring ``keep_s`` after the last park) and acknowledges its entry,
and ``unpark`` moves the list back onto the stream, each in one Lua script; a sorted set
(``<prefix>parked``, scored by expiry) lists the keys for :meth:`RedisInbox.parked`.
The group is created on first use (and again when Redis comes back without it). A job is
durable as far as Redis is: without persistence (AOF or RDB) a Redis restart loses what was
waiting. Redis errors become :class:`~domain.errors.BackendUnavailableError`; the client
reconnects on the next call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

from bot.conversation.inbox import Job, Lease
from domain.errors import BackendUnavailableError

_GROUP = "workers"
_RENEW = """
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if held[1] and held[1][2] == ARGV[2] then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
  return 1
end
return 0
"""
_PARK = """
local now = redis.call('TIME')
local expires = now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[4])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[2], expires, ARGV[5])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
"""
_UNPARK = """
local jobs = redis.call('LRANGE', KEYS[3], 0, -1)
for _, job in ipairs(jobs) do
  redis.call('XADD', KEYS[1], '*', 'j', job)
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return #jobs
"""
_PARKED = """
local now = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now[1] * 1000 + math.floor(now[2] / 1000))
local count = 0
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  count = count + redis.call('LLEN', ARGV[1] .. key)
end
return count
"""


class RedisInbox:
    """An :class:`~bot.conversation.inbox.Inbox` in a Redis stream.

    Args:
        url: ``redis://`` or ``rediss://`` URL (may carry a password; never logged).
        lease_s: Seconds a claimed job stays with its worker before another may take it.
        prefix: Key prefix, so several deployments (or tests) can share one database.
        timeout_s: Connect and read timeout beyond a claim's own wait.
    """

    def __init__(
        self, *, url: str, lease_s: float = 60.0, prefix: str = "preflight:", timeout_s: float = 2.0
    ) -> None:
        self._client: redis.Redis[bytes] = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s + 5.0
        )
        self._key = f"{prefix}inbox"
        self._parked_keys = f"{prefix}parked"
        self._parked_prefix = f"{prefix}parked:"
        self._lease_ms = int(lease_s * 1000)
        self._grouped = False
        self._renew: Any = self._client.register_script(_RENEW)
        self._park: Any = self._client.register_script(_PARK)
        self._unpark: Any = self._client.register_script(_UNPARK)
        self._parked: Any = self._client.register_script(_PARKED)

    def put(self, *, job: Job) -> None:
        """Append a job (see :meth:`bot.conversation.inbox.Inbox.put`)."""
        try:
            self._client.xadd(self._key, {"j": json.dumps(job)})
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def claim(self, *, consumer: str, count: int, wait_s: float) -> list[Lease]:
        """Take jobs whose lease ran out, then new ones (see the port)."""
        try:
            self._ensure_group()
            _, entries, *_ = self._client.xautoclaim(
                self._key, _GROUP, consumer, self._lease_ms, start_id="0-0", count=count
            )
            leases = [_lease(entry, consumer, handed_on=True) for entry in entries if entry[1]]
            if leases:
                return leases
            read: Any = self._client.xreadgroup(
                _GROUP, consumer, {self._key: ">"}, count=count, block=max(1, int(wait_s * 1000))
            )
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                self._grouped = False  # Redis came back empty: make the group again next time
            raise _unavailable(exc) from exc
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        return [
            _lease(entry, consumer, handed_on=False) for _, items in read or [] for entry in items
        ]

    def done(self, *, lease: Lease) -> None:
        """Acknowledge and delete a finished job (see the port)."""
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.xack(self._key, _GROUP, lease.id)
                pipe.xdel(self._key, lease.id)
                pipe.execute()
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def renew(self, *, leases: Sequence[Lease]) -> None:
        """Reset the idle time of entries still pending with their consumer (see the port)."""
        try:
            for lease in leases:
                self._renew(keys=[self._key], args=[_GROUP, lease.consumer, lease.id])
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def park(self, *, lease: Lease, key: str, job: Job, keep_s: float) -> None:
        """Keep ``job`` on its key's list and finish this copy, in one script (see the port)."""
        keys = [self._key, self._parked_keys, self._parked_prefix + key]
        args = [_GROUP, lease.id, json.dumps(job), max(1, int(keep_s * 1000)), key]
        try:
            self._park(keys=keys, args=args)
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def unpark(self, *, key: str) -> int:
        """Move the key's list back onto the stream, in one script (see the port)."""
        keys = [self._key, self._parked_keys, self._parked_prefix + key]
        try:
            return int(self._unpark(keys=keys, args=[key]))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def parked(self) -> int:
        """Jobs on the lists of keys not yet expired (see the port)."""
        try:
            return int(self._parked(keys=[self._parked_keys], args=[self._parked_prefix]))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def depth(self) -> int:
        """Jobs waiting or claimed: the stream's length, since finished ones are deleted."""
        try:
            return int(self._client.xlen(self._key))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _ensure_group(self) -> None:
        if self._grouped:
            return
        try:
            self._client.xgroup_create(self._key, _GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._grouped = True


def _lease(entry: Any, consumer: str, *, handed_on: bool) -> Lease:
    entry_id, fields = entry
    job = json.loads(fields[b"j"])
    return Lease(id=entry_id.decode(), job=job, consumer=consumer, handed_on=handed_on)


def _unavailable(exc: redis.RedisError) -> BackendUnavailableError:
    """Translate a redis error, without the URL (it may hold a password)."""
    detail = f"{type(exc).__name__}: the inbox cannot be read or written"
    return BackendUnavailableError("Redis", detail, retry_after_s=5)
