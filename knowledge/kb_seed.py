"""A built knowledge base as one archive: made when the image is built, unpacked when a pod starts.

The container image builds the embedded (Qdrant Edge) store once, at build time, and keeps it as
``kb-seed.tar.gz`` (:func:`archive`). A pod's first start unpacks it into its data folder
(:func:`restore`) instead of embedding 8,000 records again; the build marker inside the archive
still has to match the pod's data (shipped files, ingested records), so a seed made from other
data is refused and the caller builds instead.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from domain.errors import InvalidInputError
from knowledge.kb_build import STORE_DIR, built_from, store_path


def archive(data_dir: Path, out: Path) -> int:
    """Pack ``<data_dir>/kb`` into a gzip tar whose one top folder is ``kb``.

    Args:
        data_dir: Preflight's local data folder, holding a built store.
        out: The archive to write.

    Returns:
        How many files were packed.

    Raises:
        FileNotFoundError: When there is no store to pack.
    """
    store = store_path(data_dir)
    if not store.is_dir():
        raise FileNotFoundError(f"no knowledge base in {store}: run `preflight kb build` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(store, arcname=STORE_DIR)
        return sum(1 for member in tar.getmembers() if member.isfile())


def _check_members(tar: tarfile.TarFile) -> None:
    for member in tar.getmembers():
        parts = PurePosixPath(member.name).parts
        inside = parts and parts[0] == STORE_DIR and ".." not in parts
        if not inside or not (member.isfile() or member.isdir()):
            raise InvalidInputError(f"unexpected entry {member.name!r} in the knowledge-base seed")


def restore(seed: Path, data_dir: Path, collection: str) -> bool:
    """Unpack a seed into ``<data_dir>/kb`` when it was built from the data there now.

    The store is unpacked next to its place and moved in whole, so a pod killed midway leaves no
    half store behind. An existing store is replaced only when the seed matches.

    Args:
        seed: An archive made by :func:`archive`.
        data_dir: Preflight's local data folder.
        collection: Collection prefix (names the build marker).

    Returns:
        True when the store now holds the seed; False when the seed is absent or was built from
        other data (nothing is changed then).

    Raises:
        InvalidInputError: When the archive holds anything but the store's files.
    """
    if not seed.is_file():
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".kb-seed-") as scratch:
        with tarfile.open(seed, "r:gz") as tar:
            _check_members(tar)
            tar.extractall(scratch)  # members checked above
        if not built_from(Path(scratch) / STORE_DIR, data_dir, collection):
            return False
        target = store_path(data_dir)
        if target.exists():
            shutil.rmtree(target)
        (Path(scratch) / STORE_DIR).rename(target)
    return True
