"""The model registry port over ``huggingface_hub``: the Hub or any Hub-compatible endpoint.

Reads a repository's metadata (commit, licence, gated status) through ``HfApi.model_info`` and
its ``config.json`` (plus ``hf_quant_config.json`` where a ModelOpt checkpoint keeps its
quantization there) through ``hf_hub_download``, pinned to the commit the metadata named, into a
download cache under Preflight's data directory. Library errors become Preflight's here:

::

    RepositoryNotFoundError (404, or 401 without credentials) → ModelNotFoundError
    GatedRepoError (401/403 on a file)                         → ModelAccessError
    403 on metadata, invalid token (401)                       → ModelAccessError
    RevisionNotFoundError                                      → ModelNotFoundError
    no config.json                                             → UnsupportedArchitectureError
    connection refused, timeout, offline mode, 5xx             → BackendUnavailableError

This is the only module that imports ``huggingface_hub`` (an import-linter contract keeps it
so). It never passes an ambient token: only the one Preflight's settings name is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from domain.errors import (
    BackendUnavailableError,
    ModelAccessError,
    ModelNotFoundError,
    UnsupportedArchitectureError,
)
from domain.registry import ModelRef
from knowledge.model_registry import RegistryRecord

HUB = "https://huggingface.co"
_TOKEN_SETTING = "PREFLIGHT_KNOWLEDGE__HF_TOKEN"
_QUANT_FILE = "hf_quant_config.json"
_UNREACHABLE = (httpx2.TransportError, OfflineModeIsEnabled)


class HubRegistry:
    """Models read from the Hugging Face Hub or a Hub-compatible endpoint (a company mirror).

    Args:
        endpoint: Base URL of the Hub API (``https://huggingface.co`` or a mirror).
        token: An access token for private and gated repositories; None sends none.
        cache_dir: Where downloaded files are kept (inside Preflight's data directory).
        timeout_s: Timeout of each request.
    """

    def __init__(
        self, *, endpoint: str = HUB, token: str | None, cache_dir: Path, timeout_s: float = 10.0
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._token: str | bool = token or False  # False: never read HF_TOKEN or ~/.cache
        self._cache_dir = cache_dir
        self._timeout_s = timeout_s

    def fetch(self, *, ref: ModelRef) -> RegistryRecord:
        """Read one model's metadata and config.

        Args:
            ref: The model id.

        Returns:
            What the registry holds for it.

        Raises:
            ModelNotFoundError: Unknown id or revision (or private without credentials).
            ModelAccessError: Gated or forbidden with the credentials given.
            UnsupportedArchitectureError: The repository has no readable ``config.json``.
            BackendUnavailableError: The registry did not answer.
        """
        try:
            info = HfApi(endpoint=self.endpoint, token=self._token).model_info(
                ref.repo_id, revision=ref.revision, timeout=self._timeout_s
            )
            commit = info.sha or ref.revision or "unknown"
            config = self._json(ref, "config.json", commit)
            files = {sibling.rfilename for sibling in info.siblings or []}
            quant = self._json(ref, _QUANT_FILE, commit) if _QUANT_FILE in files else None
        except _UNREACHABLE as exc:
            raise BackendUnavailableError(
                "model registry", f"{self.endpoint} did not answer ({type(exc).__name__})"
            ) from exc
        except HfHubHTTPError as exc:
            raise self._translated(ref, exc) from exc
        card = info.card_data
        license_name = None
        if card is not None:
            license_name = card.get("license_name") or card.get("license")
        return RegistryRecord(
            registry=self.endpoint,
            repo_id=ref.repo_id,
            revision=ref.revision,
            commit=commit,
            config=config,
            quant_config=quant,
            license=str(license_name) if license_name else _license_tag(info.tags or []),
            gated=bool(info.gated),
        )

    def _json(self, ref: ModelRef, filename: str, commit: str) -> Mapping[str, Any]:
        try:
            path = hf_hub_download(
                ref.repo_id,
                filename,
                revision=commit,
                endpoint=self.endpoint,
                token=self._token,
                cache_dir=self._cache_dir,
                etag_timeout=self._timeout_s,
            )
        except EntryNotFoundError as exc:
            raise UnsupportedArchitectureError(
                f"{ref.text} has no {filename} on {self.endpoint}",
                hint="Preflight sizes transformers checkpoints from their config.json; "
                "name the repository that holds the weights and config",
            ) from exc
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnsupportedArchitectureError(
                f"{ref.text}: {filename} is not readable JSON ({exc})",
                hint="check the file in the repository",
            ) from exc
        if not isinstance(document, dict):
            raise UnsupportedArchitectureError(f"{ref.text}: {filename} is not a JSON object")
        return document

    def _translated(self, ref: ModelRef, exc: HfHubHTTPError) -> Exception:
        """The Preflight error for an HTTP error of the Hub client."""
        status = exc.response.status_code if exc.response is not None else 0
        page = f"{self.endpoint}/{ref.repo_id}"
        if isinstance(exc, GatedRepoError):
            return ModelAccessError(
                f"{ref.repo_id} is gated on {self.endpoint}: its files need an account that "
                "accepted its terms",
                hint=f"accept them at {page}, then set {_TOKEN_SETTING} to that account's token",
            )
        if isinstance(exc, RepositoryNotFoundError):
            private = "" if self._token else f"; if it is private, set {_TOKEN_SETTING}"
            return ModelNotFoundError(
                f"no model {ref.repo_id!r} on {self.endpoint}",
                hint=f"check the id (org/name, as in {page}){private}",
            )
        if isinstance(exc, RevisionNotFoundError):
            return ModelNotFoundError(
                f"{ref.repo_id} has no revision {ref.revision!r} on {self.endpoint}",
                hint="name a branch, tag or commit of the repository, or leave @revision out",
            )
        if status in (401, 403):
            return ModelAccessError(
                f"{self.endpoint} refused access to {ref.repo_id} (HTTP {status})",
                hint=f"check that {_TOKEN_SETTING} holds a valid token with read access",
            )
        if status >= 500 or status == 429:
            return BackendUnavailableError(
                "model registry", f"{self.endpoint} answered HTTP {status}", retry_after_s=30.0
            )
        return ModelNotFoundError(
            f"{self.endpoint} could not serve {ref.text} (HTTP {status})",
            hint="check the id and the registry endpoint (PREFLIGHT_KNOWLEDGE__HF_ENDPOINT)",
        )


def _license_tag(tags: list[str]) -> str | None:
    """The licence a repository's tags name (``license:apache-2.0``), if any."""
    return next((tag.split(":", 1)[1] for tag in tags if tag.startswith("license:")), None)
