"""Deploy buttons and typed "deploy option N" bound to the option a card showed.

An option's id is ``deploy.plan.option_hash``: 12 hex digits of the sha256 of the option as it
was recommended (numbers, reasons and serving arguments), the value its manifests carry in the
``preflight.dev/option-hash`` label. A card's "Deploy option N" button sends
``deploy option N <id>``; the review card's "Request deployment" sends ``confirm <id>``. The
thread remembers the ids of the options the last card numbered (``ConversationState.shown``),
so a typed "deploy option 2" means that card's option 2, whatever happened since.

At the click or the typed command the id is looked up among the thread's options now
(:func:`bind`): the same option, at any rank, is what gets reviewed and deployed; an id that is
no longer among them (a what-if, a recheck or a newer card changed the options) is refused with
what option N is now. Another option is never deployed in its place. Pure functions: no state
store, channel or deployer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.thread_state import ConversationState
from deploy.plan import option_hash
from domain.recommendation import Recommendation, RecommendedOption

ID_DIGITS = 12
OPTION_ID = re.compile(rf"[0-9a-f]{{{ID_DIGITS}}}", re.IGNORECASE)
"""An option id as buttons carry it."""


def option_id(option: RecommendedOption) -> str:
    """The id a card's buttons carry for ``option``.

    Args:
        option: A recommended option.

    Returns:
        12 lower-case hex digits (``deploy.plan.option_hash``).
    """
    return option_hash(option)


def option_ids(recommendation: Recommendation | None) -> tuple[str, ...]:
    """The ids of a recommendation's options, in rank order.

    Args:
        recommendation: The recommendation (None: no options).

    Returns:
        One id per option.
    """
    return tuple(option_id(o) for o in recommendation.options) if recommendation else ()


def deploy_value(number: int, option: RecommendedOption) -> str:
    """The value of the "Deploy option N" button of a card that shows ``option`` as option N.

    Args:
        number: The option's number on the card (1 = first).
        option: The option.

    Returns:
        E.g. ``deploy option 1 3f2a9c0d1e2b``.
    """
    return f"deploy option {number} {option_id(option)}"


def confirm_value(option: RecommendedOption) -> str:
    """The value of the review card's "Request deployment" button.

    Args:
        option: The option the review card shows.

    Returns:
        E.g. ``confirm 3f2a9c0d1e2b``.
    """
    return f"confirm {option_id(option)}"


@dataclass(frozen=True)
class Bound:
    """The option a button or a typed command means, found among the thread's options now.

    Attributes:
        index: Its index in the current recommendation's options.
        number: The number it had where it was seen (the card, or the typed command).
    """

    index: int
    number: int

    @property
    def moved(self) -> bool:
        """Whether it ranks elsewhere now than on the card it was seen on."""
        return self.index != self.number - 1


@dataclass(frozen=True)
class Stale:
    """What a button or a typed command meant is not among the thread's options now.

    Attributes:
        number: The number it had where it was seen.
        typed: The command was typed (it meant the last card's option), not a button.
    """

    number: int
    typed: bool


def bind(state: ConversationState, number: int, seen: str | None) -> Bound | Stale | None:
    """Find the option that ``deploy option <number> [<seen id>]`` means, among the options now.

    A button names the option's id; a typed command means the ``number``-th option of the last
    card that numbered options (a thread saved before cards were bound has no such list and
    means the current ``number``-th option).

    Args:
        state: The thread's state (a feasible recommendation).
        number: The option number asked for (1 = first).
        seen: The option id the button carried; None when typed.

    Returns:
        The option bound, :class:`Stale` when it is no longer offered, or None when neither the
        last card nor the options now have an option ``number``.
    """
    now = option_ids(state.recommendation)
    meant = seen.lower() if seen else _shown(state, number)
    if meant is None and state.shown:
        return None  # the last card had no option ``number``
    if meant is None:
        return Bound(index=number - 1, number=number) if 1 <= number <= len(now) else None
    if meant in now:
        return Bound(index=now.index(meant), number=number)
    return Stale(number=number, typed=seen is None)


def _shown(state: ConversationState, number: int) -> str | None:
    """The id of the last card's ``number``-th option (None: no list kept, or no such row)."""
    if not state.shown:
        return None
    return state.shown[number - 1] if 1 <= number <= len(state.shown) else None
