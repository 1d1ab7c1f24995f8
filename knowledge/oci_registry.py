"""The model registry port over an OCI registry: KServe modelcar images and OCI model artifacts.

A model named ``org/name[@tag]`` is the repository ``<base>/org/name`` (lower-cased, as OCI
requires) at ``tag`` (``latest`` when none), where ``base`` is the registry and path the
settings name (``PREFLIGHT_KNOWLEDGE__OCI_REGISTRY``, e.g. ``https://registry.example.com/models``).
Its ``config.json`` is read, without pulling the weights, from either layout:

- an OCI artifact (``oras push``): the layer whose ``org.opencontainers.image.title`` annotation
  is ``config.json``;
- a modelcar image (KServe "OCI storage": the model under ``/models`` of an image, see
  https://kserve.github.io/website/latest/modelserving/storage/oci/): layers are streamed, last
  first, until ``models/config.json`` is found.

It speaks the OCI distribution API (``/v2/<name>/manifests/<ref>``, ``/v2/<name>/blobs/<digest>``)
over httpx, with anonymous, basic or bearer-token (``WWW-Authenticate: Bearer``) access; the
manifest digest is the commit. Library errors become Preflight's here: 404 → ModelNotFoundError,
401/403 → ModelAccessError, no config → UnsupportedArchitectureError, no answer or 5xx →
BackendUnavailableError. It must not hold sizing logic.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.errors import (
    BackendUnavailableError,
    ModelAccessError,
    ModelNotFoundError,
    UnsupportedArchitectureError,
)
from domain.registry import ModelRef
from knowledge.model_registry import RegistryRecord

_MANIFESTS = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_INDEXES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_TITLE = "org.opencontainers.image.title"
_LICENSE = "org.opencontainers.image.licenses"
_CONFIG_PATHS = ("models/config.json", "config.json")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_CREDENTIALS = "PREFLIGHT_KNOWLEDGE__OCI_USERNAME and __OCI_PASSWORD"


class _Stream(io.RawIOBase):
    """A file object over an iterator of byte chunks (a streamed blob), for ``tarfile``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class OciRegistry:
    """Models kept in an OCI registry as modelcar images or OCI artifacts.

    Args:
        base: Registry URL and optional path prefix (``https://host/models``; a bare
            ``host/models`` means https).
        username: For basic or token authentication; None is anonymous.
        password: Its password or token.
        timeout_s: Timeout of each request.
    """

    def __init__(
        self,
        *,
        base: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        parts = urlsplit(base if "://" in base else f"https://{base}")
        self._root = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.strip("/")
        self.endpoint = f"oci://{parts.netloc}/{self._prefix}".rstrip("/")
        self._auth = httpx.BasicAuth(username, password or "") if username else None
        self._timeout_s = timeout_s
        self._token: str | None = None

    def fetch(self, *, ref: ModelRef) -> RegistryRecord:
        """Read one model's manifest and ``config.json``.

        Args:
            ref: The model id; its revision is the tag (or a ``sha256:`` digest).

        Returns:
            What the registry holds, the manifest digest as the commit.

        Raises:
            ModelNotFoundError: No such repository or tag.
            ModelAccessError: The registry refused the credentials.
            UnsupportedArchitectureError: The image holds no readable ``config.json``.
            BackendUnavailableError: The registry did not answer.
        """
        repo = "/".join(part for part in (self._prefix, ref.repo_id.lower()) if part)
        tag = ref.revision or "latest"
        if not (_TAG.fullmatch(tag) or tag.startswith("sha256:")):
            raise ModelNotFoundError(
                f"{tag!r} is not an OCI tag", hint="name the model as org/name@tag"
            )
        try:
            with httpx.Client(timeout=self._timeout_s, follow_redirects=True) as client:
                manifest, digest = self._manifest(client, ref, repo, tag)
                config = self._config(client, ref, repo, manifest)
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                "model registry", f"{self.endpoint} did not answer ({type(exc).__name__})"
            ) from exc
        annotations = manifest.get("annotations") or {}
        return RegistryRecord(
            registry=self.endpoint,
            repo_id=ref.repo_id,
            revision=ref.revision,
            commit=digest,
            config=config,
            quant_config=None,
            license=annotations.get(_LICENSE),
            gated=False,
        )

    def _get(
        self, client: httpx.Client, ref: ModelRef, path: str, accept: str = "*/*"
    ) -> httpx.Response:
        """GET a registry path, answering a bearer-token challenge once."""
        headers = {"Accept": accept}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        response = client.get(f"{self._root}{path}", headers=headers, auth=self._auth)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and challenge.lower().startswith("bearer"):
            self._token = self._bearer(client, challenge)
            headers["Authorization"] = f"Bearer {self._token}"
            response = client.get(f"{self._root}{path}", headers=headers)
        self._check(response, ref)
        return response

    def _bearer(self, client: httpx.Client, challenge: str) -> str:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = fields.pop("realm", "")
        response = client.get(realm, params=fields, auth=self._auth)
        if response.status_code != 200:
            raise ModelAccessError(
                f"{self.endpoint} refused a token (HTTP {response.status_code})",
                hint=f"check {_CREDENTIALS}",
            )
        document = response.json()
        return str(document.get("token") or document.get("access_token") or "")

    def _check(self, response: httpx.Response, ref: ModelRef) -> None:
        status = response.status_code
        if status in (401, 403):
            raise ModelAccessError(
                f"{self.endpoint} refused access to {ref.text} (HTTP {status})",
                hint=f"set {_CREDENTIALS} to an account that may pull it",
            )
        if status == 404:
            raise ModelNotFoundError(
                f"no model image {ref.text!r} in {self.endpoint}",
                hint="check the id (org/name@tag, the repository lower-cased) and the tag",
            )
        if status >= 400:
            raise BackendUnavailableError(
                "model registry", f"{self.endpoint} answered HTTP {status}", retry_after_s=30.0
            )

    def _manifest(
        self, client: httpx.Client, ref: ModelRef, repo: str, tag: str
    ) -> tuple[dict[str, Any], str]:
        accept = ", ".join((*_MANIFESTS, *_INDEXES))
        response = self._get(client, ref, f"/v2/{repo}/manifests/{tag}", accept)
        manifest: dict[str, Any] = response.json()
        digest = response.headers.get("Docker-Content-Digest") or (
            "sha256:" + hashlib.sha256(response.content).hexdigest()
        )
        if manifest.get("mediaType") in _INDEXES or "manifests" in manifest:
            entries = manifest.get("manifests") or []
            linux = [m for m in entries if (m.get("platform") or {}).get("os") in (None, "linux")]
            if not linux:
                raise UnsupportedArchitectureError(f"{ref.text}: the image index lists no image")
            return self._manifest(client, ref, repo, linux[0]["digest"])
        return manifest, digest

    def _config(
        self, client: httpx.Client, ref: ModelRef, repo: str, manifest: Mapping[str, Any]
    ) -> dict[str, Any]:
        layers = list(manifest.get("layers") or [])
        for layer in layers:
            if (layer.get("annotations") or {}).get(_TITLE) == "config.json":
                blob = self._get(client, ref, f"/v2/{repo}/blobs/{layer['digest']}").content
                return _parsed(ref, blob)
        for layer in reversed(layers):
            if "tar" in str(layer.get("mediaType", "")):
                found = self._from_layer(client, ref, f"/v2/{repo}/blobs/{layer['digest']}")
                if found is not None:
                    return _parsed(ref, found)
        raise UnsupportedArchitectureError(
            f"{ref.text} in {self.endpoint} holds no config.json (neither an artifact layer "
            "titled config.json nor models/config.json in an image layer)",
            hint="push the model with its config.json (a KServe modelcar keeps it in /models)",
        )

    def _from_layer(self, client: httpx.Client, ref: ModelRef, path: str) -> bytes | None:
        """``config.json`` from a tar layer, read as it streams (stops once found)."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        with client.stream("GET", f"{self._root}{path}", headers=headers, auth=self._auth) as got:
            self._check(got, ref)
            try:
                with tarfile.open(fileobj=_Stream(got.iter_bytes()), mode="r|*") as archive:
                    for member in archive:
                        name = member.name.lstrip("./")
                        if member.isfile() and name in _CONFIG_PATHS:
                            handle = archive.extractfile(member)
                            return handle.read() if handle is not None else None
            except tarfile.TarError as exc:
                raise UnsupportedArchitectureError(
                    f"{ref.text}: an image layer is not a readable tar ({exc})"
                ) from exc
        return None


def _parsed(ref: ModelRef, blob: bytes) -> dict[str, Any]:
    try:
        document = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedArchitectureError(f"{ref.text}: config.json is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise UnsupportedArchitectureError(f"{ref.text}: config.json is not a JSON object")
    return document
