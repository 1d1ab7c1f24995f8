"""Watch a deployment come up: poll its status, report each change, stop at Ready or a deadline.

Polling the port's ``status`` (the InferenceService's Ready condition, its pods, warning events)
keeps this independent of the cluster implementation and simple to test. This module must not
import an SDK.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deploy.audit import AuditAction
from deploy.cluster import DeploymentStatus
from deploy.ports import DeployPorts

Progress = Callable[[DeploymentStatus], None]


def wait_ready(
    service: DeployPorts,
    *,
    namespace: str,
    name: str,
    kind: str = "InferenceService",
    on_progress: Progress | None = None,
    timeout_s: float = 1800,
    poll_s: float = 10,
    sleep: Callable[[float], None] = time.sleep,
) -> DeploymentStatus:
    """Poll a deployment's status until it is Ready or the timeout passes.

    Args:
        service: The deployment service (its cluster and audit trail).
        namespace: The deployment's namespace.
        name: Its name.
        kind: InferenceService or LLMInferenceService.
        on_progress: Called with each status that differs from the one before.
        timeout_s: How long to wait, seconds.
        poll_s: Seconds between polls.
        sleep: How to wait between polls.

    Returns:
        The last status read; ``ready`` says whether it came up.

    Raises:
        BackendUnavailableError: When the cluster does not answer.
    """
    deadline = time.monotonic() + timeout_s
    last: DeploymentStatus | None = None
    while True:
        status = service.cluster.status(namespace=namespace, name=name, kind=kind)
        if status != last and on_progress is not None:
            on_progress(status)
        last = status
        if status.ready or time.monotonic() >= deadline:
            break
        sleep(poll_s)
    service.record(
        AuditAction.READY,
        actor="preflight",
        target=f"{namespace}/{name}",
        result="ok" if status.ready else "timeout",
        detail=status.url or "",
    )
    return status
