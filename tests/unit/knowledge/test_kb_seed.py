"""The knowledge-base seed: packed at image build, unpacked only over the data it was built from."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from domain.errors import InvalidInputError
from knowledge import kb_build, kb_seed
from knowledge.records import add_ingested, load_records


def built_store(data_dir: Path) -> Path:
    """A store folder with one segment file and the build marker (what restore looks at)."""
    store = kb_build.store_path(data_dir)
    (store / "preflight_patterns").mkdir(parents=True)
    (store / "preflight_patterns" / "segment.bin").write_bytes(b"vectors")
    kb_build.mark_built(data_dir, "preflight")
    return store


def test_a_seed_unpacks_into_an_empty_data_dir(tmp_path: Path) -> None:
    built_store(tmp_path / "build")
    seed = tmp_path / "kb-seed.tar.gz"
    assert kb_seed.archive(tmp_path / "build", seed) == 2
    pod = tmp_path / "pod"
    assert not kb_build.is_built(pod, "preflight")
    assert kb_seed.restore(seed, pod, "preflight")
    assert kb_build.is_built(pod, "preflight")
    assert (pod / "kb" / "preflight_patterns" / "segment.bin").read_bytes() == b"vectors"
    assert sorted(p.name for p in pod.iterdir()) == ["kb"]  # no scratch folder left


def test_a_seed_from_other_data_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    built_store(tmp_path / "build")
    seed = tmp_path / "kb-seed.tar.gz"
    kb_seed.archive(tmp_path / "build", seed)
    pod = tmp_path / "pod"
    add_ingested(pod, [load_records()[0].model_copy(update={"id": "bm-seed00000000001"})])
    assert not kb_seed.restore(seed, pod, "preflight")
    assert not kb_build.store_path(pod).exists()
    assert not kb_seed.restore(tmp_path / "absent.tar.gz", pod, "preflight")


def test_only_store_files_are_unpacked(tmp_path: Path) -> None:
    seed = tmp_path / "evil.tar.gz"
    with tarfile.open(seed, "w:gz") as tar:
        entry = tarfile.TarInfo("kb/../../escaped.txt")
        entry.size = 2
        tar.addfile(entry, io.BytesIO(b"hi"))
    with pytest.raises(InvalidInputError, match="escaped"):
        kb_seed.restore(seed, tmp_path / "pod", "preflight")
    assert not (tmp_path / "escaped.txt").exists()


def test_archiving_needs_a_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="kb build"):
        kb_seed.archive(tmp_path, tmp_path / "kb-seed.tar.gz")
