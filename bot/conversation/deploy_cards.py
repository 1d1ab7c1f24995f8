"""Cards of the deploy steps: the review before a request, the approval, status and rollback.

Each card stands alone: it says what would be (or was) deployed, where, by whom and who may
approve, so an approver needs nothing else. Every button that acts — request, approve, roll
back — carries a confirmation dialog saying what happens next. The button values (request id and
manifest hash) come from the deploy steps; these functions only decide wording and layout, and
must not change state, call the deploy side or know about any channel.
"""

from __future__ import annotations

from urllib.parse import urlparse

from bot.conversation.bound_options import confirm_value
from bot.conversation.ports import DeployResult, DeployStatus
from bot.conversation.replies import Choice, ChoiceStyle, Confirm, Field, Reply, ReplyKind, Tone
from bot.conversation.thread_state import Stage
from bot.conversation.wording import (
    format_ms,
    format_usd,
    gpus,
    layout,
    short_model,
    summarise,
)
from domain.recommendation import RecommendedOption
from domain.requirements import Requirements

HASH_SHOWN = 12
"""Hex digits of a manifest hash shown on cards."""

_STAGE_WORDS = {
    Stage.COLLECTING: "I am still gathering what you need",
    Stage.EXPLORING: "options are on the table; nothing is deployed",
    Stage.CONFIRMING: "an option awaits your confirmation",
    Stage.AWAITING_APPROVAL: "a deployment request awaits an approver",
    Stage.DEPLOYING: "a deployment is rolling out",
    Stage.DEPLOYED: "deployed",
    Stage.ROLLED_BACK: "rolled back",
    Stage.FAILED: "the last deployment failed",
}
_TONE = {
    DeployStatus.AWAITING_APPROVAL: Tone.NEUTRAL,
    DeployStatus.DEPLOYING: Tone.NEUTRAL,
    DeployStatus.DEPLOYED: Tone.GOOD,
    DeployStatus.ROLLED_BACK: Tone.WARNING,
    DeployStatus.FAILED: Tone.ATTENTION,
}


def stage_words(stage: Stage) -> str:
    """Where a thread stands, in plain words (never an enum value).

    Args:
        stage: The thread's stage.

    Returns:
        E.g. ``options are on the table; nothing is deployed``.
    """
    return _STAGE_WORDS[stage]


def option_fields(option: RecommendedOption) -> tuple[Field, ...]:
    """What an option deploys, one short line each.

    Args:
        option: The option.

    Returns:
        Model, GPUs, precision, cost and the predicted TTFT.
    """
    return (
        Field(label="Model", value=option.model),
        Field(label="GPUs", value=f"{gpus(option)} ({layout(option)})"),
        Field(label="Precision", value=option.precision),
        Field(label="Cost", value=f"{format_usd(option.monthly_cost_usd)}/month"),
        Field(label="TTFT p95", value=f"{format_ms(option.predicted.ttft_ms_p95)} (predicted)"),
    )


def review_card(
    number: int, option: RecommendedOption, requirements: Requirements, *, note: str = ""
) -> Reply:
    """The card shown after "deploy option N": what would be deployed, and a request button
    bound to exactly this option (its id in the button's value).

    Args:
        number: The option's number among the options now.
        option: The option.
        requirements: What it was recommended for.
        note: A line saying how this relates to the card it was asked from (it ranks
            elsewhere now), shown first among the reasons.

    Returns:
        The confirmation reply.
    """
    text = (
        f"Deploy option {number}: {short_model(option.model)} on {gpus(option)} "
        f"({option.precision}), {format_usd(option.monthly_cost_usd)}/month?"
    )
    dialog = Confirm(
        title="Request this deployment?",
        text=(
            "Preflight validates the manifests and asks an approver. Nothing is applied until "
            "someone allowed to deploy approves."
        ),
        confirm="Request",
    )
    return Reply(
        kind=ReplyKind.CONFIRMATION,
        text=text,
        reasons=(
            *((note,) if note else ()),
            "Nothing is applied until someone allowed to deploy approves it.",
        ),
        fields=(*option_fields(option), Field(label="For", value=summarise(requirements))),
        choices=(
            Choice(
                label="Request deployment",
                value=confirm_value(option),
                style=ChoiceStyle.PRIMARY,
                confirm=dialog,
            ),
            Choice(label="Cancel", value="cancel"),
        ),
    )


def approval_choices(
    request_id: str, manifest_hash: str, *, target: str = ""
) -> tuple[Choice, ...]:
    """Approve (bound to the request and its manifest hash, behind a dialog) and Cancel.

    Args:
        request_id: The request.
        manifest_hash: sha256 of its manifests.
        target: ``namespace/name``, named in the dialog.

    Returns:
        The two choices.
    """
    where = f" to {target}" if target else ""
    dialog = Confirm(
        title="Approve and deploy?",
        text=(
            f"This applies request {request_id} (manifests sha256 {manifest_hash[:HASH_SHOWN]})"
            f"{where} now."
        ),
        confirm="Approve",
    )
    return (
        Choice(
            label="Approve",
            value=f"approve {request_id} {manifest_hash}",
            style=ChoiceStyle.PRIMARY,
            confirm=dialog,
        ),
        Choice(label="Cancel", value="cancel"),
    )


def measure_choice() -> Choice:
    """The ready card's Measure it button, behind a dialog (it loads the endpoint).

    Returns:
        The choice.
    """
    dialog = Confirm(
        title="Measure it?",
        text=(
            "A Kubernetes Job runs GuideLLM against the endpoint with the load it was sized for, "
            "then I post predicted against measured here and keep the run for calibration."
        ),
        confirm="Measure",
    )
    return Choice(label="Measure it", value="measure", confirm=dialog)


def rollback_choice(target: str = "") -> Choice:
    """The danger-styled Roll back button, behind a dialog.

    Args:
        target: ``namespace/name``, named in the dialog.

    Returns:
        The choice.
    """
    what = target or "this thread's deployment"
    dialog = Confirm(
        title="Roll back?",
        text=f"This takes {what} back one revision, or removes it if it is the first.",
        confirm="Roll back",
    )
    return Choice(label="Roll back", value="rollback", style=ChoiceStyle.DANGER, confirm=dialog)


def approval_card(
    *,
    request_id: str,
    manifest_hash: str,
    requester: str,
    option: RecommendedOption | None,
    result: DeployResult | None = None,
) -> Reply:
    """The card that asks for an approval of exactly one request, and says what it deploys.

    Args:
        request_id: The request.
        manifest_hash: sha256 of its manifests.
        requester: Who asked for it (may not approve it unless the policy allows).
        option: The option it deploys, when known.
        result: The deploy side's answer (target, who may approve, expiry), when known.

    Returns:
        A status reply with Approve (dialog) and Cancel.
    """
    shown = manifest_hash[:HASH_SHOWN]
    target = result.target if result else ""
    what = (
        f"{short_model(option.model)} on {gpus(option)} ({option.precision})" if option else target
    )
    where = f" in {target}" if target and option else ""
    text = f"{what or request_id}{where} awaits an approver"
    fields: tuple[Field, ...] = option_fields(option) if option else ()
    if target:
        fields += (Field(label="Namespace/name", value=target),)
    fields += (Field(label="Requested by", value=requester),)
    may = ", ".join(result.may_approve) if result and result.may_approve else ""
    fields += (
        Field(
            label="Who can approve",
            value=f"{may} (not the requester)"
            if may
            else "anyone the cluster allows to deploy there, except the requester",
        ),
    )
    if result and result.expires_at:
        fields += (Field(label="Expires", value=result.expires_at.strftime("%Y-%m-%d %H:%M UTC")),)
    fields += (Field(label="Request", value=f"{request_id} · sha256 {shown}"),)
    if result and result.dry_run:
        fields += (Field(label="Mode", value="dry run: manifests are written, not applied"),)
    said = (result.message,) if result and result.message else ()
    return Reply(
        kind=ReplyKind.STATUS,
        text=text,
        summary=text,
        reasons=(*said, f"Approve with the button, or type `approve {request_id} {shown}`."),
        fields=fields,
        choices=approval_choices(request_id, manifest_hash, target=target),
    )


def status_card(result: DeployResult, *, option: RecommendedOption | None = None) -> Reply:
    """Where a deployment stands: a plain headline, endpoint, approver, and "dry run" if it was.

    Server paths and raw conditions stay out of the card (they are in the audit trail); only
    links that are URLs are shown.

    Args:
        result: The deploy side's answer.
        option: The option deployed, when known.

    Returns:
        The status reply (an approval card while approval is pending).
    """
    if result.status is DeployStatus.AWAITING_APPROVAL and result.manifest_hash:
        return approval_card(
            request_id=result.request_id,
            manifest_hash=result.manifest_hash,
            requester=result.requester,
            option=option,
            result=result,
        )
    target = result.target or result.request_id
    dry = " (dry run: written, not applied)" if result.dry_run else ""
    headline = {
        DeployStatus.AWAITING_APPROVAL: f"{target} is not applied yet",
        DeployStatus.DEPLOYING: f"{target} is rolling out; not ready yet",
        DeployStatus.DEPLOYED: f"{target} is ready{dry}",
        DeployStatus.ROLLED_BACK: result.message,
        DeployStatus.FAILED: f"Deploying {target} failed: {result.message}",
    }[result.status]
    fields: list[Field] = []
    urls = {name: link for name, link in result.links.items() if _is_url(link)}
    fields += [Field(label=name, value=link) for name, link in urls.items()]
    if result.approvers:
        fields.append(Field(label="Approved by", value=", ".join(result.approvers)))
    if result.requester:
        fields.append(Field(label="Requested by", value=result.requester))
    if result.dry_run:
        fields.append(Field(label="Mode", value="dry run: manifests written to a folder"))
    fields.append(Field(label="Request", value=result.request_id))
    choices: tuple[Choice, ...] = ()
    if result.status in (DeployStatus.DEPLOYED, DeployStatus.DEPLOYING):
        choices = (Choice(label="Status", value="status"), rollback_choice(result.target))
    if result.status is DeployStatus.DEPLOYED:
        choices = (measure_choice(), *choices)
    return Reply(
        kind=ReplyKind.ERROR if result.status is DeployStatus.FAILED else ReplyKind.STATUS,
        tone=_TONE[result.status],
        text=headline,
        summary=headline,
        fields=tuple(fields),
        choices=choices,
    )


def _is_url(link: str) -> bool:
    return urlparse(link).scheme in ("http", "https")
