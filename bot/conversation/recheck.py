""" "recheck": what changed in this thread's recommendation since new data arrived.

Every recommendation carries the calibration and knowledge (measured records) versions it was
computed from (``Recommendation.basis``). "recheck" asks the recommender again — it answers on
the data as it is now (``bot.adapters.recommender.ReloadingRecommender``) — and says what moved:
the versions, the option that matters (the deployed one, else option 1) before and after, and
measured runs the new answer cites that the old one did not. Without a deployment the thread
continues with the new answer; with one, the old answer stays (the deployment refers to it).
Pure flow logic: it talks to the recommender port only.
"""

from __future__ import annotations

import re

from bot.conversation.cards import DETAILS_VALUE, details_of
from bot.conversation.ports import FlowDependencies
from bot.conversation.replies import Choice, ChoiceRole, Field, Reply, ReplyKind, Table, Tone
from bot.conversation.steps import StepResult
from bot.conversation.thread_state import ConversationState
from bot.conversation.wording import format_ms, format_usd, gpus, short_model
from domain.recommendation import Recommendation, RecommendationBasis, RecommendedOption

RECHECK = re.compile(r"^\s*re-?check\b", re.IGNORECASE)
MOVED = 0.05
"""A prediction that moved less than 5 % is called unchanged (rounding and refinement noise)."""


def recheck(state: ConversationState, deps: FlowDependencies) -> StepResult:
    """Recommend again on today's data and say what changed.

    Args:
        state: The thread's state (its recommendation and pins).
        deps: The ports.

    Returns:
        The state (with the new answer unless something was deployed from the old one) and the
        card.
    """
    before = state.recommendation
    if before is None:
        text = "Nothing to recheck yet: there is no recommendation in this thread."
        return state, [Reply(kind=ReplyKind.NOTICE, text=text)]
    after = deps.recommender(state.requirements, pin=state.pin)
    index = state.deployment.option_index if state.deployment is not None else 0
    card = recheck_card(before, after, index=index, deployed=state.deployment is not None)
    if state.deployment is None:
        state = state.model_copy(update={"recommendation": after})
    return state, [card]


def _same(option: RecommendedOption, among: list[RecommendedOption]) -> RecommendedOption | None:
    key = (option.model, option.gpu, option.precision, option.tensor_parallel)
    found = [o for o in among if (o.model, o.gpu, o.precision, o.tensor_parallel) == key]
    return found[0] if found else None


def _versions(old: RecommendationBasis | None, new: RecommendationBasis | None) -> list[Field]:
    if old is None or new is None:
        return []
    calibration = (
        f"{old.calibration_version} → {new.calibration_version}"
        if old.calibration_version != new.calibration_version
        else f"unchanged ({new.calibration_version})"
    )
    added = new.measured_records - old.measured_records
    records = (
        f"{old.measured_records:,} → {new.measured_records:,} ({added:+,}; "
        f"{old.knowledge_version} → {new.knowledge_version})"
        if old.knowledge_version != new.knowledge_version
        else f"unchanged ({new.measured_records:,}, {new.knowledge_version})"
    )
    return [
        Field(label="Calibration", value=calibration),
        Field(label="Measured records", value=records),
    ]


def _moves(old: RecommendedOption, new: RecommendedOption) -> list[tuple[str, str, str]]:
    pairs = (
        ("TTFT p95", old.predicted.ttft_ms_p95, new.predicted.ttft_ms_p95),
        ("ITL p95", old.predicted.itl_ms_p95, new.predicted.itl_ms_p95),
        ("E2E p95", old.predicted.e2e_ms_p95, new.predicted.e2e_ms_p95),
    )
    rows = [
        (label, format_ms(a), format_ms(b))
        for label, a, b in pairs
        if a > 0 and abs(b / a - 1) >= MOVED
    ]
    if old.replicas != new.replicas:
        rows.append(("Replicas", str(old.replicas), str(new.replicas)))
    if old.monthly_cost_usd != new.monthly_cost_usd:
        rows.append(
            ("Per month", format_usd(old.monthly_cost_usd), format_usd(new.monthly_cost_usd))
        )
    if old.meets_slo != new.meets_slo:
        rows.append(("Meets SLO", _yes(old.meets_slo), _yes(new.meets_slo)))
    return rows


def _yes(value: bool) -> str:
    return "yes ✓" if value else "no ✗"


def _newly_cited(before: Recommendation, after: Recommendation, option: RecommendedOption) -> str:
    seen = {e.record_id for o in before.options for e in o.evidence if e.record_id}
    seen |= {e.record_id for e in before.retrieved if e.record_id}
    fresh = [
        e for e in (*option.evidence, *after.retrieved) if e.record_id and e.record_id not in seen
    ]
    return "; ".join(f"{e.record_id} [{e.source_id}]" for e in fresh[:3])


def recheck_card(
    before: Recommendation, after: Recommendation, *, index: int, deployed: bool
) -> Reply:
    """What changed between an old answer and the same question asked on today's data.

    Args:
        before: The thread's recommendation.
        after: The same requirements and pins recommended again now.
        index: The option that matters (the deployed one, else 0).
        deployed: Whether that option was deployed.

    Returns:
        The card.
    """
    fields = _versions(before.basis, after.basis)
    what = "the deployed option" if deployed else f"option {index + 1}"
    old = before.options[index] if 0 <= index < len(before.options) else None
    new = _same(old, after.options) if old is not None else None
    rows: list[tuple[str, str, str]] = []
    if old is None:
        text = "Rechecked: the old answer had no option to compare."
    elif new is None:
        text = (
            f"Rechecked on today's data: {what} ({short_model(old.model)} on "
            f"{gpus(old, short=True)}) is no longer among the options."
        )
    else:
        rows = _moves(old, new)
        name = f"{what} ({short_model(old.model)} on {gpus(old, short=True)})"
        text = (
            f"Rechecked on today's data: {name} changed — "
            + ", ".join(f"{label} {a} → {b}" for label, a, b in rows)
            + "."
            if rows
            else f"Rechecked on today's data: {name} predicts the same."
        )
        cited = _newly_cited(before, after, new)
        if cited:
            fields.append(Field(label="Newly cited measurements", value=cited))
    if after.options and old is not None and after.options[0].model != old.model and not deployed:
        top = after.options[0]
        fields.append(
            Field(
                label="Option 1 now", value=f"{short_model(top.model)} on {gpus(top, short=True)}"
            )
        )
    tables = (Table(title="Before → after", columns=("", "Before", "After"), rows=tuple(rows)),)
    return Reply(
        kind=ReplyKind.COMPARISON,
        tone=Tone.WARNING if rows or new is None else Tone.NEUTRAL,
        text=text,
        summary=text,
        fields=tuple(fields),
        tables=tables if rows else (),
        details=details_of(after),
        choices=(
            Choice(label="How was this computed?", value=DETAILS_VALUE, role=ChoiceRole.DETAILS),
        ),
    )
