"""Slack's jobs in the durable inbox: what the ack side puts, and what a worker does with one.

A job is a flat JSON object: the conversation id, the text, the user, the event id, the channel
and thread to answer in, ``used`` for a click (what the clicked message becomes once the click
is acted on: redrawn without buttons by the worker after posting), and ``check`` when it is a
thread reply in a thread Preflight may not talk in yet (its opening mention can arrive later:
Slack does not order events, and retries a refused one a minute, then five minutes later). A
worker processes a job through :meth:`~bot.conversation.flow.ConversationFlow.process` (the
replies are saved with the state), posts the replies, marks them delivered, puts back the
thread's parked jobs and finishes the job. A checked job whose thread is still unknown is parked
under its thread (:meth:`~bot.conversation.inbox.Inbox.park`) until a job of that thread is
processed, for at most :data:`WAIT_FOR_THREAD_S` (then its thread is not one Preflight is in).
It imports no Slack SDK: the app hands in how to post.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.inbox import Inbox, Job, Lease
from bot.conversation.replies import Reply, settles_card

NEW_THREAD_S = 60.0  # a reply this soon after its thread's first message may overtake the mention
WAIT_FOR_THREAD_S = 10 * 60.0
"""How long a reply waits for its thread's mention: Slack retries a failed delivery nearly at
once, after a minute and after five minutes (api.slack.com/apis/events-api, "Retries")."""
Post = Callable[[list[Reply], str, str], None]
"""Posts replies: (replies, channel, thread_ts)."""
Update = Callable[[str, Job], None]
"""Redraws a message: (channel, the job's ``used``: ``ts``, ``text``, ``blocks``)."""


def slack_job(incoming: Incoming, *, channel: str, thread_ts: str, check: bool = False) -> Job:
    """The job for one Slack delivery.

    Args:
        incoming: The message as the flow takes it (with its event id).
        channel: The channel to answer in.
        thread_ts: The thread to answer in.
        check: Process it only once Preflight talks in the thread.

    Returns:
        The job.
    """
    return {
        "thread": incoming.thread,
        "text": incoming.text,
        "user": incoming.user,
        "event_id": incoming.event_id,
        "channel": channel,
        "thread_ts": thread_ts,
        "check": check,
    }


def soon_after_opening(ts: str, thread_ts: str) -> bool:
    """Whether a thread reply was written within :data:`NEW_THREAD_S` of its thread's first
    message, so its thread may still be opening (its mention not processed yet). The reply's own
    ``ts`` counts, not the time it arrives: a delivery Slack retries a minute later still waits
    for its thread.

    Args:
        ts: The reply's ``ts``.
        thread_ts: The thread's ``ts``.

    Returns:
        True when both are numbers at most :data:`NEW_THREAD_S` apart.
    """
    try:
        return float(ts) - float(thread_ts) < NEW_THREAD_S
    except ValueError:
        return False


class SlackJobs:
    """The inbox handler for Slack jobs.

    Args:
        flow: The conversation flow.
        inbox: The inbox the jobs come from.
        post: Posts replies in a thread.
        update: Redraws a clicked message once its click was acted on (none: never).
    """

    def __init__(
        self, flow: ConversationFlow, inbox: Inbox, post: Post, update: Update | None = None
    ) -> None:
        self._flow = flow
        self._inbox = inbox
        self._post = post
        self._update = update

    def __call__(self, lease: Lease) -> None:
        """Process one job and finish it.

        Args:
            lease: The claimed job.

        Raises:
            BackendUnavailableError: When the store or the inbox is down (the job stays).
        """
        job = lease.job
        tracer = self._flow.tracer
        ids = {"preflight.channel": "slack", "preflight.request": job["event_id"]}
        with tracer.span("preflight.message", ids) as span:
            if job.get("check") and not self._flow.knows(thread=job["thread"]):
                span.note("preflight.parked", True)
                self._wait_for_thread(lease)
                return
            incoming = Incoming(
                thread=job["thread"], text=job["text"], user=job["user"], event_id=job["event_id"]
            )
            replies = self._flow.process(incoming, resume=lease.handed_on)
            if replies:
                with tracer.span("preflight.reply", {"preflight.replies": len(replies)}):
                    self._post(replies, job["channel"], job["thread_ts"])
                    if job.get("used") and self._update is not None and settles_card(replies):
                        self._update(job["channel"], job["used"])
                self._flow.delivered(event_id=job["event_id"])
            self._inbox.unpark(key=job["thread"])
            self._inbox.done(lease=lease)

    def _wait_for_thread(self, lease: Lease) -> None:
        """Park the job until its thread is processed; if the thread opened meanwhile (its job
        may have unparked before this parked), put it back at once."""
        thread = lease.job["thread"]
        self._inbox.park(lease=lease, key=thread, job=lease.job, keep_s=WAIT_FOR_THREAD_S)
        if self._flow.knows(thread=thread):
            self._inbox.unpark(key=thread)
