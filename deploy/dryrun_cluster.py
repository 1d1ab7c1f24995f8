"""The embedded default cluster: validates objects and writes them, with a kustomization, to disk.

Nothing runs; the folder is what a person reviews, or what Argo CD / Flux syncs (the GitOps
export, ``preflight deploy export --dir``). Layout: ``<dir>/<namespace>/<app>/`` holding one file
per object (``<kind>-<name>.yaml``) and a ``kustomization.yaml`` listing them.

A Job (the GuideLLM measuring Job) is written like any object; nothing runs it. Whoever runs it
(``kubectl apply -f``) saves its pod's log beside it as ``job-<name>.log``, and from then on
:meth:`DryRunCluster.job_outcome` reports it ended with that log.

Access checks have no cluster to ask: by default every permission is granted (writing a folder
harms nothing); an explicit grant table makes it answer like an RBAC-enforcing cluster.
This module must not import the kubernetes client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from deploy.cluster import (
    AccessResult,
    ApplyResult,
    DeploymentStatus,
    Identity,
    JobOutcome,
    Permission,
)
from deploy.render import Manifest, to_yaml
from deploy.validate import validate_objects


def app_of(manifest: Manifest) -> str:
    """Return the app an object belongs to (its ``app.kubernetes.io/name`` label, else its name).

    Args:
        manifest: The object.

    Returns:
        The app name (validated DNS-1123 by the plan).
    """
    metadata = manifest["metadata"]
    return str(metadata.get("labels", {}).get("app.kubernetes.io/name", metadata["name"]))


def file_name(manifest: Manifest) -> str:
    """Return the file one object is written to.

    Args:
        manifest: The object.

    Returns:
        ``<kind>-<name>.yaml`` in lower case.
    """
    return f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"


def export(manifests: Sequence[Manifest], directory: Path) -> list[Path]:
    """Write objects and a kustomization per app folder (the GitOps export).

    Args:
        manifests: Validated objects.
        directory: Root folder; created when missing.

    Returns:
        The app folders written.
    """
    folders: dict[Path, list[Manifest]] = {}
    for manifest in manifests:
        folder = directory / manifest["metadata"]["namespace"] / app_of(manifest)
        folders.setdefault(folder, []).append(manifest)
    for folder, items in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            (folder / file_name(item)).write_text(to_yaml([item]))
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": items[0]["metadata"]["namespace"],
            "resources": [file_name(item) for item in items],
        }
        (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return list(folders)


class DryRunCluster:
    """A cluster that is a folder.

    Args:
        directory: Where applied objects are written.
        grants: Permissions per Kubernetes user or ``group:<name>``; None grants everything.
    """

    def __init__(
        self, directory: Path, *, grants: Mapping[str, Sequence[Permission]] | None = None
    ) -> None:
        self.directory = directory
        self.grants = grants

    def check_access(self, *, identity: Identity, needs: Sequence[Permission]) -> AccessResult:
        """Answer from the grant table (everything is allowed without one).

        Args:
            identity: Who asks.
            needs: The permissions the plan needs.

        Returns:
            Allowed, or the missing permissions.
        """
        if self.grants is None:
            return AccessResult(allowed=True)
        held: set[Permission] = set(self.grants.get(identity.user, ()))
        for group in identity.groups:
            held.update(self.grants.get(f"group:{group}", ()))
        missing = tuple(need for need in needs if need not in held)
        return AccessResult(allowed=not missing, missing=missing)

    def apply(
        self,
        *,
        manifests: Sequence[Manifest],
        dry_run: bool,
        field_manager: str = "preflight",
        impersonate: Identity | None = None,
    ) -> ApplyResult:
        """Validate the objects and, unless a dry run, write them.

        Args:
            manifests: The objects.
            dry_run: Validate only.
            field_manager: Recorded in the kustomization folder's objects (unused here).
            impersonate: Unused: a folder has no identities.

        Returns:
            What was (or would be) written, and where.

        Raises:
            InvalidInputError: When an object does not validate.
        """
        validate_objects(manifests)
        refs = tuple(f"{m['kind']}/{m['metadata']['name']}" for m in manifests)
        if not dry_run:
            export(manifests, self.directory)
        return ApplyResult(dry_run=dry_run, applied=refs, location=str(self.directory))

    def status(
        self, *, namespace: str, name: str, kind: str = "InferenceService"
    ) -> DeploymentStatus:
        """Report whether the service's file is in the folder (written = ready).

        Args:
            namespace: Its namespace.
            name: Its name.
            kind: InferenceService or LLMInferenceService.

        Returns:
            The status; ``url`` is None, as nothing serves it.
        """
        path = self.directory / namespace / name / f"{kind.lower()}-{name}.yaml"
        if not path.is_file():
            return DeploymentStatus(exists=False)
        return DeploymentStatus(exists=True, ready=True, conditions=(f"Written=True: {path}",))

    def delete(self, *, manifests: Sequence[Manifest]) -> None:
        """Remove the objects' files (a Job's saved log too), and the kustomization when its
        folder empties.

        Args:
            manifests: The objects to delete.
        """
        for manifest in manifests:
            folder = self.directory / manifest["metadata"]["namespace"] / app_of(manifest)
            (folder / file_name(manifest)).unlink(missing_ok=True)
            (folder / file_name(manifest)).with_suffix(".log").unlink(missing_ok=True)
            remaining = [p for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"]
            if folder.is_dir() and not remaining:
                (folder / "kustomization.yaml").unlink(missing_ok=True)
                folder.rmdir()

    def job_outcome(self, *, namespace: str, name: str) -> JobOutcome:
        """A written Job runs until its log is saved beside it (nothing here runs it).

        Args:
            namespace: The Job's namespace.
            name: Its name.

        Returns:
            absent (no file), running (written, no log yet: the detail says where the log
            goes) or succeeded with the saved log.
        """
        found = sorted((self.directory / namespace).glob(f"*/job-{name}.yaml"))
        if not found:
            return JobOutcome(state="absent")
        log = found[0].with_suffix(".log")
        if not log.is_file():
            detail = (
                f"written to {found[0]}; in dry-run mode nothing runs it: apply it with kubectl "
                f"and save its pod's log as {log}"
            )
            return JobOutcome(state="running", detail=detail)
        return JobOutcome(state="succeeded", log=log.read_text(), detail=str(log))
