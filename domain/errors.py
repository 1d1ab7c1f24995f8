"""The error tree of Preflight. Every module raises from here; adapters translate library errors.

::

    PreflightError
    ├── UserFacingError            message + hint, safe to show in chat
    │   ├── InvalidInputError      a value that cannot be used (bad name, bad number, bad file)
    │   │   ├── UnknownNameError   a model/GPU/task nobody knows; carries the closest known names
    │   │   ├── ModelNotFoundError the registry has no model under that id (or revision)
    │   │   └── UnsupportedArchitectureError  a model config Preflight cannot size
    │   ├── ModelAccessError       a private or gated model and no credentials that open it
    │   ├── ApprovalError          an approval that cannot be granted or used
    │   │   ├── SelfApprovalError      the requester tried to approve their own request
    │   │   ├── ApprovalExpiredError   the approval is older than the policy allows
    │   │   └── ApprovalVoidedError    the manifests changed after approval
    │   ├── PermissionDeniedError  the cluster said no; lists what is missing
    │   └── PolicyViolationError   a plan breaks an operator policy (namespace, image, GPU count)
    ├── BackendUnavailableError    Redis, Qdrant, the cluster, an LLM did not answer; retry later
    │   └── CouldNotCheckError     an authorisation check could not be made — never read as allowed
    ├── StateConflictError         a versioned write lost a race; reload and re-apply
    │   └── DuplicateEventError    the event was already processed; drop this delivery
    └── ConfigurationError         settings that stop start-up

This module must not import anything of Preflight's own.
"""

from __future__ import annotations

from collections.abc import Sequence


class PreflightError(Exception):
    """Root of every error Preflight raises on purpose."""


class UserFacingError(PreflightError):
    """An error whose message and hint are safe to show to a chat user.

    Args:
        message: What went wrong, in plain words.
        hint: What the user can do about it (may be empty).
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidInputError(UserFacingError):
    """A value given by a user or a file that cannot be used as it is."""


class UnknownNameError(InvalidInputError):
    """A model, GPU or other catalog name that is not known.

    Args:
        kind: What sort of name it is ("GPU", "model", ...).
        name: The name as given.
        closest: The closest known names, best first.
    """

    def __init__(self, kind: str, name: str, closest: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.closest = list(closest)
        hint = f"closest known: {', '.join(self.closest)}" if self.closest else ""
        super().__init__(f"unknown {kind} {name!r}", hint=hint)


class ModelNotFoundError(InvalidInputError):
    """A model registry has no model under the id (or revision) a team named."""


class UnsupportedArchitectureError(InvalidInputError):
    """A model's config names an architecture Preflight cannot size (or has no config at all)."""


class ModelAccessError(UserFacingError):
    """A model is private or gated and the configured credentials do not open it."""


class ApprovalError(UserFacingError):
    """An approval that cannot be granted or used."""


class SelfApprovalError(ApprovalError):
    """The requester tried to approve their own request where the policy forbids it."""


class ApprovalExpiredError(ApprovalError):
    """The approval is older than the policy's expiry."""


class ApprovalVoidedError(ApprovalError):
    """The manifests changed after the approval was given, so it no longer applies."""


class PermissionDeniedError(UserFacingError):
    """The cluster's authorisation said no.

    Args:
        message: Who was denied what.
        missing: Each missing permission as "verb resource in namespace".
    """

    def __init__(self, message: str, *, missing: Sequence[str] = ()) -> None:
        self.missing = list(missing)
        super().__init__(
            message, hint="missing: " + "; ".join(self.missing) if self.missing else ""
        )


class PolicyViolationError(UserFacingError):
    """A plan breaks an operator policy (namespace allow-list, image allow-list, GPU inventory)."""


class BackendUnavailableError(PreflightError):
    """A backing service (Redis, Qdrant, the cluster, an LLM) did not answer.

    Args:
        service: Which service.
        detail: What happened, without secrets.
        retry_after_s: A reasonable delay before trying again.
    """

    def __init__(self, service: str, detail: str, *, retry_after_s: float = 5.0) -> None:
        super().__init__(f"{service} is unavailable: {detail}")
        self.service = service
        self.detail = detail
        self.retry_after_s = retry_after_s


class CouldNotCheckError(BackendUnavailableError):
    """An authorisation check could not be made. Never treat this as "allowed"."""


class StateConflictError(PreflightError):
    """A versioned write found a newer version than the one it read: reload and re-apply.

    Args:
        key: What was being written (a thread id).
        expected: The version the writer read.
    """

    def __init__(self, key: str, *, expected: int) -> None:
        super().__init__(f"{key} changed since version {expected}")
        self.key = key
        self.expected = expected


class DuplicateEventError(StateConflictError):
    """A write carrying an event id found that event already processed: drop this delivery.

    Args:
        event_id: The channel's delivery id.
    """

    def __init__(self, event_id: str) -> None:
        super().__init__(event_id, expected=-1)
        self.args = (f"event {event_id} was already processed",)


class ConfigurationError(PreflightError):
    """Settings that make start-up impossible (bad URL, missing secret, unreadable file)."""
