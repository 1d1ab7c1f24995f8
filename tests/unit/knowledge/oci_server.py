"""A real OCI registry for the tests: the CNCF distribution registry (Debian's ``docker-registry``,
installed by ``.ci/run``) started on 127.0.0.1 for a test module, holding models pushed through the
distribution API:

- ``models/acme/mimo-7b-support:v1`` — a KServe modelcar image: one gzipped tar layer with the
  weights first and ``models/config.json`` (XiaomiMiMo/MiMo-7B-Base's) after them;
- ``models/acme/gpt-oss-20b-tuned:latest`` — an OCI artifact (``oras push`` style), one layer per
  file titled by annotation, ``config.json`` being openai/gpt-oss-20b's;
- ``models/acme/no-config:latest`` — weights only.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.unit.knowledge.hub_server import CONFIGS

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed (apt-get install -y docker-registry)"
    root = tmp_path_factory.mktemp("oci")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen([binary, "serve", str(config)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/v2/").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        _push_images(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _blob(client: httpx.Client, url: str, repo: str, data: bytes) -> dict[str, object]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = client.post(f"{url}/v2/{repo}/blobs/uploads/")
    location = started.headers["Location"]
    location = location if location.startswith("http") else url + location
    separator = "&" if "?" in location else "?"
    client.put(f"{location}{separator}digest={digest}", content=data).raise_for_status()
    return {"digest": digest, "size": len(data)}


def _push(client: httpx.Client, url: str, repo: str, tag: str, manifest: dict[str, object]) -> None:
    body = json.dumps(manifest).encode()
    headers = {"Content-Type": OCI_MANIFEST}
    client.put(f"{url}/v2/{repo}/manifests/{tag}", content=body, headers=headers).raise_for_status()


def _modelcar_layer(config: bytes) -> bytes:
    """A gzipped tar as a modelcar image layer: weights first, then models/config.json."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in (
            ("models/model.safetensors", b"\0" * 4096),
            ("models/config.json", config),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def _push_images(url: str) -> None:
    with httpx.Client() as client:
        config = (CONFIGS / "XiaomiMiMo/MiMo-7B-Base/config.json").read_bytes()
        layer = _blob(client, url, "models/acme/mimo-7b-support", _modelcar_layer(config))
        image_config = _blob(client, url, "models/acme/mimo-7b-support", b'{"os":"linux"}')
        _push(
            client,
            url,
            "models/acme/mimo-7b-support",
            "v1",
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image_config},
                "layers": [{"mediaType": LAYER, **layer}],
                "annotations": {"org.opencontainers.image.licenses": "mit"},
            },
        )
        config = (CONFIGS / "openai/gpt-oss-20b/config.json").read_bytes()
        weights = ("model.safetensors", b"\0" * 1024)
        _push_artifact(
            client, url, "models/acme/gpt-oss-20b-tuned", [weights, ("config.json", config)]
        )
        _push_artifact(client, url, "models/acme/no-config", [weights])


def _push_artifact(
    client: httpx.Client, url: str, repo: str, files: list[tuple[str, bytes]]
) -> None:
    """Push files as an OCI artifact, ``oras push`` style: one layer per file, titled."""
    layers = [
        {
            "mediaType": "application/octet-stream",
            **_blob(client, url, repo, data),
            "annotations": {"org.opencontainers.image.title": title},
        }
        for title, data in files
    ]
    empty = _blob(client, url, repo, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", **empty},
        "layers": layers,
    }
    _push(client, url, repo, "latest", manifest)
