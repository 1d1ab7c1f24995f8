"""The revisions of each deployment (``namespace/name``), kept in the record store.

Every apply appends the exact objects it applied (a revision) and points ``current`` at it; a
rollback moves ``current`` back. :func:`stale_objects` names what the revision in place has and
a new one lacks, so applying the new one can prune it (two autoscalers on one Deployment, an
orphaned monitor) — and so the access check can ask for ``delete`` on exactly those.

Each deployment belongs to the conversation thread that first applied it (``owner:<target>``):
:func:`claim_owner` is how an apply from another thread is refused, so two threads never
overwrite (or later roll back) each other's objects; rolling a first deployment all the way back
releases the name.

This module must not talk to a cluster or know about approvals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from deploy.cluster import object_ref
from deploy.records import RecordStore
from deploy.render import Manifest


def revisions(records: RecordStore, target: str) -> tuple[list[dict[str, Any]], int | None]:
    """Return a deployment's revisions and the index of the one in place.

    Args:
        records: The record store.
        target: 'namespace/name'.

    Returns:
        The revisions (``request_id``, ``manifest_hash``, ``manifests``), oldest first, and the
        current index (None when nothing is in place).
    """
    items = [json.loads(raw) for raw in records.items(f"revisions:{target}")]
    raw = records.get(f"current:{target}")
    current = int(raw) if raw is not None else None
    return items, (current if current is not None and current >= 0 else None)


def in_place(records: RecordStore, target: str) -> list[Manifest]:
    """Return the objects of the revision in place (none when nothing is deployed).

    Args:
        records: The record store.
        target: 'namespace/name'.

    Returns:
        The objects.
    """
    items, current = revisions(records, target)
    return [] if current is None else list(items[current]["manifests"])


def missing_from(old: Sequence[Manifest], new: Sequence[Manifest]) -> list[Manifest]:
    """Return the objects of ``old`` that ``new`` does not have (by kind and name).

    Args:
        old: The objects in place.
        new: The objects about to be in place.

    Returns:
        The objects to delete, in their order in ``old``.
    """
    keep = {object_ref(m) for m in new}
    return [m for m in old if object_ref(m) not in keep]


def stale_objects(records: RecordStore, target: str, new: Sequence[Manifest]) -> list[Manifest]:
    """Return the objects of the revision in place that applying ``new`` leaves behind.

    Args:
        records: The record store.
        target: 'namespace/name'.
        new: The objects about to be applied.

    Returns:
        The objects to prune after the apply.
    """
    return missing_from(in_place(records, target), new)


def push_revision(
    records: RecordStore, target: str, *, request_id: str, manifest_hash: str, manifests: Any
) -> int:
    """Record a new revision and point ``current`` at it.

    Args:
        records: The record store.
        target: 'namespace/name'.
        request_id: The request it carries out.
        manifest_hash: sha256 of the approved objects.
        manifests: The objects applied (with their approval stamps).

    Returns:
        The new revision's index.
    """
    revision = {"request_id": request_id, "manifest_hash": manifest_hash, "manifests": manifests}
    index = records.append(f"revisions:{target}", json.dumps(revision)) - 1
    records.put(f"current:{target}", str(index))
    return index


def claim_owner(records: RecordStore, target: str, thread_id: str) -> str | None:
    """Make ``thread_id`` the owner of a deployment unless another thread owns it already.

    Args:
        records: The record store.
        target: 'namespace/name'.
        thread_id: The thread applying (empty for the command line).

    Returns:
        None when the thread owns it (now or before); else the owning thread.
    """
    key = f"owner:{target}"
    if records.put(key, thread_id, only_if_absent=True):
        return None
    owner = records.get(key)
    return None if owner is None or owner == thread_id else owner


def owner_of(records: RecordStore, target: str) -> str | None:
    """Return the thread that owns a deployment, or None when nobody does.

    Args:
        records: The record store.
        target: 'namespace/name'.

    Returns:
        The owning thread id ("" for the command line) or None.
    """
    return records.get(f"owner:{target}")


def release_owner(records: RecordStore, target: str) -> None:
    """Free a deployment's name once nothing of it is in place.

    Args:
        records: The record store.
        target: 'namespace/name'.
    """
    records.delete(f"owner:{target}", f"current:{target}", f"revisions:{target}")


def standing(
    records: RecordStore, target: str, request_id: str
) -> Literal["never applied", "in place", "rolled back", "superseded"]:
    """Return where one request stands among its deployment's revisions.

    Args:
        records: The record store.
        target: 'namespace/name'.
        request_id: The request.

    Returns:
        never applied; in place (its revision is current); rolled back (its revision was
        applied, then stepped back over); superseded (a later revision replaced it).
    """
    items, current = revisions(records, target)
    applied = [i for i, item in enumerate(items) if item.get("request_id") == request_id]
    if not applied:
        return "never applied"
    if current is not None and items[current].get("request_id") == request_id:
        return "in place"
    if current is None or current < applied[-1]:
        return "rolled back"
    return "superseded"
