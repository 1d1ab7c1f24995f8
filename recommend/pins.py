"""What-if pins: choices a person fixes to look at, which are not requirements.

A precision ("fp8?"), a replica count ("what if we run 2 replicas") or one exact GPU. The
engine treats them as inputs: only candidates at the pinned precision or on the pinned GPU are
searched, and a pinned replica count is sized as given, so the answer shows its predicted
effect even when it misses an SLO. This module holds the pins only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pins:
    """The pins of one question; all None means nothing is pinned."""

    precision: str | None = None
    replicas: int | None = None
    gpu: str | None = None

    def words(self) -> list[str]:
        """Each pin in words, for the "Now:" line.

        Returns:
            E.g. ``["precision fp8", "2 replicas"]``.
        """
        parts = [f"precision {self.precision}"] if self.precision else []
        parts += [f"{self.replicas} replicas"] if self.replicas else []
        parts += [f"GPU {self.gpu}"] if self.gpu else []
        return parts


NO_PINS = Pins()
