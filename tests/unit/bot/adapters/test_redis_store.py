"""The Redis store through an outage: a clear error while Redis is away, recovery when it is back.

A small TCP relay stands between the store and the real Redis so the test can cut the link
without touching the Redis server other tests use.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.adapters.redis_store import RedisStateStore
from bot.conversation.thread_state import ConversationState
from domain.errors import BackendUnavailableError

REDIS_ADDRESS = ("127.0.0.1", 6379)


class Relay:
    """Forwards TCP connections from a local port to Redis until stopped."""

    def __init__(self, port: int = 0) -> None:
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=True)
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = [self._server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(REDIS_ADDRESS)
            self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()

    def stop(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    while True:
        try:
            data = source.recv(65536)
            if not data:
                return
            target.sendall(data)
        except OSError:
            return


@pytest.fixture
def prefix() -> Iterator[str]:
    key_prefix = f"test-{uuid.uuid4().hex}:"
    yield key_prefix
    client = redis.Redis(*REDIS_ADDRESS, db=15)
    keys = list(client.scan_iter(match=f"{key_prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_store_reports_outage_and_recovers_when_redis_is_back(prefix: str) -> None:
    relay = Relay()
    port = relay.port
    store = RedisStateStore(url=f"redis://127.0.0.1:{port}/15", prefix=prefix, timeout_s=0.5)
    store.save(thread="t", state=ConversationState(turns=1), expected_version=0)

    relay.stop()
    with pytest.raises(BackendUnavailableError, match="Redis is unavailable"):
        store.load(thread="t")

    relay = Relay(port)
    try:
        assert store.load(thread="t") == (ConversationState(turns=1), 1)
    finally:
        relay.stop()
        store.close()
