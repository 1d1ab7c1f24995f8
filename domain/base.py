"""The one model configuration every domain type shares (frozen, strict about unknown keys)."""

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base of every domain model: immutable, hashable, rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
