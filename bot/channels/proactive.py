"""Posting into a thread nobody just wrote in (the Day-2 watch, a finished measurement).

A thread id names its channel first (``slack:<team>/slack:<channel>:<ts>``,
``teams:<tenant>/teams:<conversation>``, or a pre-tenant ``slack:<channel>:<ts>``); a
:class:`ThreadPoster` hands each reply to the poster of that channel, and logs what it cannot
deliver (a channel that is off, or a Teams conversation this process holds no reference for).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from bot.conversation.replies import Reply

Post = Callable[[str, Reply], None]
_log = logging.getLogger("preflight.proactive")


class ThreadPoster:
    """Routes a reply to its thread's channel.

    Args:
        posters: Channel prefix of the thread id (``slack``, ``teams``) → its poster.
    """

    def __init__(self, posters: Mapping[str, Post]) -> None:
        self._posters = dict(posters)

    def __call__(self, thread: str, reply: Reply) -> None:
        """Post ``reply`` in ``thread`` (logged when its channel is off here).

        Args:
            thread: The thread id.
            reply: What to say.
        """
        poster = self._posters.get(thread.split(":", 1)[0])
        if poster is None:
            _log.warning("no channel to post in %s: %s", thread, reply.summary_text())
            return
        poster(thread, reply)
