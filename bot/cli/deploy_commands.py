"""``preflight deploy …`` and ``preflight audit list``: manifests, approval, apply, rollback, audit.

``FILE.json`` is one option object of ``preflight recommend --json`` (an element of its
``options``; a whole recommendation is accepted with ``--index``). Commands:

- ``deploy render`` — validated manifests into ``DIR/manifests.yaml`` (nothing is applied);
- ``deploy export`` — the GitOps folder (one file per object and a ``kustomization.yaml``);
- ``deploy apply`` — the chat approval flow from a terminal: ``--requester`` is the chat user
  who asked, ``--approver`` the one who clicks *Approve* (with ``--approver-group`` for their chat
  groups). The same checks run as for the button: the approval policy (``cluster.approvers``,
  requester ≠ approver, N-of-M), the mapping to a Kubernetes identity (``cluster.identities``),
  a SubjectAccessReview for every permission, then server-side dry run, apply and watch;
- ``deploy rollback`` — back one revision (or delete a first deployment);
- ``audit list`` — the audit trail.

``--tenant slack:<team>`` / ``teams:<tenant>`` acts for one tenant of ``PREFLIGHT_TENANTS``: its
namespaces, approvers, allowed GPUs, records and audit trail, as its chat threads do.

The cluster is a folder (``cluster.mode=dry-run``, the default) or the API (``api``). Bad input
exits 2 with one line; a cluster or Redis that does not answer exits 3. No state here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from bot.cli.errors import fail
from bot.deploy_wiring import (
    build_plan,
    deployment_service,
    make_audit,
    plan_checks,
    settings_for,
)
from bot.settings import Settings, load_settings
from domain.errors import (
    InvalidInputError,
    PreflightError,
)
from domain.recommendation import RecommendedOption

if TYPE_CHECKING:
    from deploy.cluster import DeploymentStatus
    from deploy.plan import DeploymentPlan
    from deploy.render import Manifest
    from deploy.validate import PlanChecks


deploy_app = typer.Typer(help="Render, approve, apply and roll back deployments.")
audit_app = typer.Typer(help="The deployment audit trail.")

OptionFile = Annotated[Path, typer.Option("--option", help="One option of `recommend --json`.")]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n", help="Target namespace.")]
Name = Annotated[str | None, typer.Option("--name", help="Deployment name (default: derived).")]
AutoscalerOpt = Annotated[
    str | None, typer.Option("--autoscaler", help="keda, hpa or none (default: settings).")
]
TargetOpt = Annotated[
    str | None, typer.Option("--target", help="inferenceservice or llminferenceservice.")
]
Index = Annotated[int, typer.Option("--index", min=0, help="Option index in a recommendation.")]
Tenant = Annotated[
    str | None,
    typer.Option("--tenant", help="Act for this tenant of PREFLIGHT_TENANTS (slack:T…, teams:…)."),
]


def _checked_tenant(settings: Settings, tenant: str | None) -> str | None:
    """The tenant named on the command line, refused when the settings do not list it."""
    if tenant is not None and tenant not in settings.tenants:
        listed = ", ".join(sorted(settings.tenants)) or "none configured"
        raise InvalidInputError(f"no tenant {tenant!r}", hint=f"PREFLIGHT_TENANTS lists: {listed}")
    return tenant


def _read_option(path: Path, index: int) -> RecommendedOption:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    from deploy.plan import option_from_json

    return option_from_json(text, index=index)


def _prepared(
    option_file: Path,
    index: int,
    namespace: str | None,
    name: str | None,
    autoscaler: str | None,
    target: str | None,
) -> tuple[DeploymentPlan, list[Manifest]]:
    """The plan and its validated manifests; bad input or settings end the command (exit 2)."""
    from deploy.service import prepare

    try:
        settings = load_settings()
        plan = build_plan(
            settings,
            _read_option(option_file, index),
            namespace=namespace,
            name=name,
            autoscaler=autoscaler,
            target=target,
        )
        checks = plan_checks(settings)
        manifests = prepare(plan, checks)
    except PreflightError as exc:
        raise fail(exc) from exc
    _say_what_was_adapted(plan, manifests, checks)
    return plan, manifests


def _say_what_was_adapted(
    plan: DeploymentPlan, manifests: list[Manifest], checks: PlanChecks
) -> None:
    """Plan notes (a flag not passed, and why) and what the pre-flight check could not check."""
    from deploy.preflight import check

    err = Console(stderr=True, soft_wrap=True)
    for note in plan.notes:
        err.print(f"note: {note}", markup=False)
    for finding in check(manifests, checks.profile):
        if finding.kind == "unchecked":
            err.print(f"not checked [{finding.rule}]: {finding.reason}", markup=False)


@deploy_app.command("render")
def render_command(
    option: OptionFile,
    out: Annotated[Path, typer.Option("--out", help="Folder for manifests.yaml.")],
    namespace: Namespace = None,
    name: Name = None,
    autoscaler: AutoscalerOpt = None,
    target: TargetOpt = None,
    index: Index = 0,
) -> None:
    """Render and validate the manifests of one option; apply nothing."""
    from deploy.render import manifest_hash, to_yaml

    plan, manifests = _prepared(option, index, namespace, name, autoscaler, target)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifests.yaml").write_text(to_yaml(manifests))
    console = Console()
    for manifest in manifests:
        console.print(f"  {manifest['kind']}/{manifest['metadata']['name']}")
    console.print(
        f"{len(manifests)} objects for {plan.namespace}/{plan.name} → {out}/manifests.yaml"
    )
    console.print(f"sha256 {manifest_hash(manifests)}")


@deploy_app.command("export")
def export_command(
    option: OptionFile,
    directory: Annotated[Path, typer.Option("--dir", help="GitOps folder (Argo CD / Flux).")],
    namespace: Namespace = None,
    name: Name = None,
    autoscaler: AutoscalerOpt = None,
    target: TargetOpt = None,
    index: Index = 0,
) -> None:
    """Write validated manifests and a kustomization.yaml for Argo CD or Flux to sync."""
    from deploy.dryrun_cluster import export

    _, manifests = _prepared(option, index, namespace, name, autoscaler, target)
    for folder in export(manifests, directory):
        Console().print(f"wrote {folder}/kustomization.yaml")


def _print_status(status: DeploymentStatus) -> None:
    state = "ready" if status.ready else ("pending" if status.exists else "not found")
    Console().print(f"  {state}: " + "; ".join(status.conditions + status.pods + status.events))


@deploy_app.command("apply")
def apply_command(
    option: OptionFile,
    requester: Annotated[str, typer.Option("--requester", help="Chat user who asked.")],
    approver: Annotated[str, typer.Option("--approver", help="Chat user who approves.")],
    namespace: Namespace = None,
    name: Name = None,
    autoscaler: AutoscalerOpt = None,
    target: TargetOpt = None,
    index: Index = 0,
    approver_group: Annotated[
        list[str] | None, typer.Option("--approver-group", help="Approver's chat groups.")
    ] = None,
    thread: Annotated[str, typer.Option("--thread", help="Chat thread id.")] = "cli",
    tenant: Tenant = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Server-side dry run only.")] = False,
    wait_s: Annotated[float, typer.Option("--wait", help="Seconds to wait for Ready.")] = 0.0,
) -> None:
    """Request, approve (policy + RBAC), dry-run and apply one option, as the chat buttons do."""
    from deploy.approval import ChatIdentity
    from deploy.render import service_kind
    from deploy.watch import wait_ready

    who = ChatIdentity(user=approver, groups=tuple(approver_group or ()))
    console = Console()
    try:
        settings = load_settings()
        workspace = _checked_tenant(settings, tenant)
        plan = build_plan(
            settings_for(settings, workspace),
            _read_option(option, index),
            namespace=namespace,
            name=name,
            autoscaler=autoscaler,
            target=target,
            requester=requester,
            thread=thread,
        )
        service = deployment_service(settings, workspace=workspace)
        if dry_run:
            result = service.dry_run(plan, approver=who)
            console.print(f"dry run passed: {len(result.applied)} objects at {result.location}")
            return
        request = service.request(plan)
        console.print(f"request {request.id} sha256 {request.manifest_hash}")
        outcome = service.approve(request.id, approver=who)
        console.print(f"{outcome.state}: {outcome.target} ({', '.join(outcome.applied)})")
        if outcome.dashboard_url:
            console.print(f"dashboard {outcome.dashboard_url}")
        if outcome.state == "applied" and wait_s > 0:
            status = wait_ready(
                service,
                namespace=plan.namespace,
                name=plan.name,
                kind=service_kind(plan),
                on_progress=_print_status,
                timeout_s=wait_s,
            )
            console.print(f"endpoint {status.url or '(none yet)'}")
    except PreflightError as exc:
        raise fail(exc) from exc


@deploy_app.command("rollback")
def rollback_command(
    name: Annotated[str, typer.Option("--name", help="Deployment name.")],
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Its namespace.")],
    actor: Annotated[str, typer.Option("--actor", help="Chat user asking.")] = "cli",
    tenant: Tenant = None,
) -> None:
    """Roll a deployment back one revision, or delete it when it has only one."""
    from deploy.rollback import rollback

    try:
        settings = load_settings()
        workspace = _checked_tenant(settings, tenant)
        service = deployment_service(settings, workspace=workspace)
        who = service.identities.chat_identity(actor)
        done = rollback(service, namespace=namespace, name=name, actor=who)
    except PreflightError as exc:
        raise fail(exc) from exc
    where = f"revision {done.revision}" if done.revision is not None else "nothing (deleted)"
    Console().print(f"rolled back {done.target}: {done.action}, now at {where}")


@audit_app.command("list")
def audit_list_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    tenant: Tenant = None,
) -> None:
    """Show the last audit events, oldest first (one tenant's with ``--tenant``)."""
    try:
        settings = load_settings()
        scoped = settings_for(settings, _checked_tenant(settings, tenant))
        events = make_audit(scoped).recent(limit=limit)
    except PreflightError as exc:
        raise fail(exc) from exc
    for event in events:
        if as_json:
            typer.echo(event.model_dump_json())
        else:
            typer.echo(
                f"{event.at:%Y-%m-%d %H:%M:%S} {event.action.value:<15} {event.result:<8} "
                f"{event.actor:<16} {event.target} {event.manifest_hash[:12]} {event.detail}"
            )


def register(app: typer.Typer) -> None:
    """Add ``preflight deploy …`` and ``preflight audit …`` to ``app``.

    Args:
        app: The root Typer app.
    """
    app.add_typer(deploy_app, name="deploy")
    app.add_typer(audit_app, name="audit")
