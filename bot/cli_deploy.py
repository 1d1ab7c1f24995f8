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

The cluster is a folder (``cluster.mode=dry-run``, the default) or the API (``api``). Bad input
exits 2 with one line; a cluster or Redis that does not answer exits 3. No state here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.settings import Settings, load_settings
from deploy.approval import ApprovalPolicy, ChatIdentity, IdentityMap
from deploy.audit import AuditLog, JsonlAuditLog
from deploy.cluster import Cluster, DeploymentStatus, Identity
from deploy.plan import Autoscaler, DeploymentPlan, Target, option_from_json, plan_for
from deploy.records import RecordStore
from deploy.render import Manifest, manifest_hash, service_kind, to_yaml
from deploy.validate import PlanChecks
from domain.errors import (
    BackendUnavailableError,
    ConfigurationError,
    InvalidInputError,
    PreflightError,
)
from domain.recommendation import RecommendedOption

if TYPE_CHECKING:
    from deploy.service import DeploymentService

_USAGE_ERROR = 2
_UNAVAILABLE = 3

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


def _read_option(path: Path, index: int) -> RecommendedOption:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    return option_from_json(text, index=index)


def build_plan(
    settings: Settings,
    option: RecommendedOption,
    *,
    namespace: str | None,
    name: str | None,
    autoscaler: str | None,
    target: str | None = None,
    requester: str = "cli",
    thread: str = "",
) -> DeploymentPlan:
    """Turn an option and command-line choices into a validated plan.

    Args:
        settings: Preflight's settings.
        option: The chosen option.
        namespace: Target namespace (the first allowed one when None).
        name: Deployment name (derived when None).
        autoscaler: keda, hpa or none (settings when None).
        target: inferenceservice or llminferenceservice (settings when None).
        requester: Who asks.
        thread: The chat thread, if any.

    Returns:
        The plan.

    Raises:
        InvalidInputError: When a value is unusable.
    """
    cluster = settings.cluster
    chosen, kind = autoscaler or cluster.autoscaler, target or cluster.target
    try:
        scaler, api = Autoscaler(chosen), Target(kind)
    except ValueError as exc:
        raise InvalidInputError(
            f"unknown autoscaler {chosen!r} or target {kind!r}",
            hint="keda, hpa or none; inferenceservice or llminferenceservice",
        ) from exc
    return plan_for(
        option,
        namespace=namespace or (cluster.allowed_namespaces or ["default"])[0],
        requester=requester,
        name=name,
        thread_id=thread,
        autoscaler=scaler,
        target=api,
        image=cluster.image,
        prometheus_url=cluster.prometheus_url,
        hf_token_secret=cluster.hf_token_secret,
    )


def plan_checks(settings: Settings) -> PlanChecks:
    """Return the operator policy (allow-lists, GPU inventory) from the settings."""
    cluster = settings.cluster
    return PlanChecks(
        allowed_namespaces=tuple(cluster.allowed_namespaces),
        allowed_images=tuple(cluster.allowed_images),
        gpu_inventory=cluster.gpu_inventory,
    )


def make_cluster(settings: Settings) -> Cluster:
    """Build the cluster the settings name: a folder (dry-run) or the Kubernetes API.

    Args:
        settings: Preflight's settings.

    Returns:
        The cluster.

    Raises:
        ConfigurationError: Unknown mode or no usable kubeconfig.
    """
    cluster = settings.cluster
    if cluster.mode == "dry-run":
        from deploy.dryrun_cluster import DryRunCluster

        return DryRunCluster(cluster.output_dir)
    if cluster.mode == "api":
        from deploy.k8s_cluster import KubernetesCluster

        return KubernetesCluster.from_kubeconfig(cluster.kubeconfig, context=cluster.context)
    raise ConfigurationError(f"unknown cluster.mode {cluster.mode!r} (dry-run or api)")


def make_records(settings: Settings) -> RecordStore:
    """Build the deployment records from ``settings``: Redis when set, else a file."""
    if settings.state.redis_url is not None:
        from deploy.redis_records import RedisRecords

        return RedisRecords.from_url(settings.state.redis_url.get_secret_value())
    from deploy.file_records import FileRecords

    return FileRecords(settings.data_dir / "deploy-records.json")


def make_audit(settings: Settings) -> AuditLog:
    """Build the audit trail from ``settings``: a Redis stream when set, else JSON lines."""
    if settings.audit.redis_url is not None:
        from deploy.audit_redis import RedisAuditLog

        url = settings.audit.redis_url.get_secret_value()
        return RedisAuditLog.from_url(url, stream=settings.audit.stream)
    return JsonlAuditLog(settings.audit.path)


def deployment_service(settings: Settings, *, cluster: Cluster | None = None) -> DeploymentService:
    """Wire the deployment service from the settings (for the CLI and the chat bot).

    Args:
        settings: Preflight's settings.
        cluster: A cluster to use instead of the one the settings name.

    Returns:
        A :class:`deploy.service.DeploymentService`.
    """
    from deploy.service import DeploymentService

    conf = settings.cluster
    users = {
        chat: Identity(user=user, groups=tuple(conf.identity_groups.get(chat, [])))
        for chat, user in conf.identities.items()
    }
    return DeploymentService(
        cluster=cluster or make_cluster(settings),
        records=make_records(settings),
        audit=make_audit(settings),
        policy=ApprovalPolicy(
            approvers=conf.approvers,
            allow_self_approval=conf.allow_self_approval,
            required_approvals=conf.required_approvals,
            expiry_s=conf.approval_expiry_s,
        ),
        identities=IdentityMap(users=users, unmapped_prefix=conf.unmapped_user_prefix),
        checks=plan_checks(settings),
        impersonate_approver=conf.impersonate_approver,
        grafana_url=conf.grafana_url,
    )


def _fail(exc: PreflightError | ConfigurationError) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
    unavailable = isinstance(exc, BackendUnavailableError)
    return typer.Exit(_UNAVAILABLE if unavailable else _USAGE_ERROR)


def _prepared(
    option_file: Path,
    index: int,
    namespace: str | None,
    name: str | None,
    autoscaler: str | None,
    target: str | None,
) -> tuple[Settings, DeploymentPlan, list[Manifest]]:
    from deploy.service import prepare

    settings = load_settings()
    plan = build_plan(
        settings,
        _read_option(option_file, index),
        namespace=namespace,
        name=name,
        autoscaler=autoscaler,
        target=target,
    )
    return settings, plan, prepare(plan, plan_checks(settings))


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
    try:
        _, plan, manifests = _prepared(option, index, namespace, name, autoscaler, target)
    except (PreflightError, ConfigurationError) as exc:
        raise _fail(exc) from exc
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

    try:
        _, _, manifests = _prepared(option, index, namespace, name, autoscaler, target)
    except (PreflightError, ConfigurationError) as exc:
        raise _fail(exc) from exc
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
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Server-side dry run only.")] = False,
    wait_s: Annotated[float, typer.Option("--wait", help="Seconds to wait for Ready.")] = 0.0,
) -> None:
    """Request, approve (policy + RBAC), dry-run and apply one option, as the chat buttons do."""
    from deploy.watch import wait_ready

    who = ChatIdentity(user=approver, groups=tuple(approver_group or ()))
    console = Console()
    try:
        settings = load_settings()
        plan = build_plan(
            settings,
            _read_option(option, index),
            namespace=namespace,
            name=name,
            autoscaler=autoscaler,
            target=target,
            requester=requester,
            thread=thread,
        )
        service = deployment_service(settings)
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
    except (PreflightError, ConfigurationError) as exc:
        raise _fail(exc) from exc


@deploy_app.command("rollback")
def rollback_command(
    name: Annotated[str, typer.Option("--name", help="Deployment name.")],
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Its namespace.")],
    actor: Annotated[str, typer.Option("--actor", help="Chat user asking.")] = "cli",
) -> None:
    """Roll a deployment back one revision, or delete it when it has only one."""
    from deploy.rollback import rollback

    try:
        service = deployment_service(load_settings())
        done = rollback(service, namespace=namespace, name=name, actor=ChatIdentity(user=actor))
    except (PreflightError, ConfigurationError) as exc:
        raise _fail(exc) from exc
    where = f"revision {done.revision}" if done.revision is not None else "nothing (deleted)"
    Console().print(f"rolled back {done.target}: {done.action}, now at {where}")


@audit_app.command("list")
def audit_list_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
) -> None:
    """Show the last audit events, oldest first."""
    try:
        events = make_audit(load_settings()).recent(limit=limit)
    except (PreflightError, ConfigurationError) as exc:
        raise _fail(exc) from exc
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
