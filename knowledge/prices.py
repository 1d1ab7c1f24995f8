"""GPU prices on one basis: the shipped list prices per provider, or an operator's own file.

``prices.csv`` holds on-demand list prices of several providers, each row with the instance
it was read from and its source. A recommendation prices every GPU on one basis — one
provider, or a named set tried in order, chosen in the settings — so that options are never
ranked on prices from different clouds without saying so. A GPU the basis has no price for
stays unpriced (``None``), never $0. This module reads packaged or operator files only.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from domain.errors import InvalidInputError, UnknownNameError

DEFAULT_PRICE_BASIS = ("aws",)


@dataclass(frozen=True)
class ListPrice:
    """One provider's on-demand price of one GPU."""

    gpu: str
    provider: str
    usd_per_gpu_hr: float
    basis: str
    source: str


@cache
def price_table() -> tuple[ListPrice, ...]:
    """Every shipped list price, in file order.

    Returns:
        The rows of ``knowledge/data/prices.csv``.
    """
    path = Path(str(resources.files("knowledge") / "data" / "prices.csv"))
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(
            ListPrice(
                gpu=row["gpu"],
                provider=row["provider"].strip().lower(),
                usd_per_gpu_hr=float(row["price_usd_per_gpu_hr"]),
                basis=row["basis"],
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        )


def price_providers() -> list[str]:
    """The providers the shipped price table covers, in file order.

    Returns:
        Provider names (lower case).
    """
    return list(dict.fromkeys(row.provider for row in price_table()))


def parse_price_basis(text: str) -> tuple[str, ...]:
    """A price basis from settings: one provider, or a comma-separated named set in order.

    Args:
        text: E.g. ``aws`` or ``lambda,runpod``; empty means the default.

    Returns:
        Provider names, lower case, first preferred.

    Raises:
        UnknownNameError: When a name is not a provider of the shipped price table.
    """
    known = price_providers()
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.3) or known[:3]
            raise UnknownNameError("price provider", name, close)
    return names or DEFAULT_PRICE_BASIS


def price_on(gpu: str, basis: tuple[str, ...]) -> ListPrice | None:
    """The first price the basis has for a GPU.

    Args:
        gpu: GPU catalog name.
        basis: Providers, first preferred.

    Returns:
        The price, or None when no provider of the basis prices that GPU.
    """
    rows = {row.provider: row for row in price_table() if row.gpu == gpu}
    return next((rows[provider] for provider in basis if provider in rows), None)


def read_price_file(path: Path) -> dict[str, tuple[float, str]]:
    """Read an operator's price file: CSV with columns ``gpu,price_usd_per_gpu_hr[,basis]``.

    Args:
        path: The CSV file.

    Returns:
        GPU name → (price per GPU-hour, basis).

    Raises:
        InvalidInputError: When the file is unreadable or a row is malformed (file and line named).
    """
    prices: dict[str, tuple[float, str]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    price = float(row["price_usd_per_gpu_hr"])
                    gpu = row["gpu"].strip()
                except (KeyError, TypeError, ValueError) as exc:
                    raise InvalidInputError(
                        f"{path}:{line}: expected columns gpu,price_usd_per_gpu_hr",
                        hint="each row names a catalog GPU and a number",
                    ) from exc
                if price <= 0 or not gpu:
                    raise InvalidInputError(f"{path}:{line}: price must be a positive number")
                prices[gpu] = (price, (row.get("basis") or "operator price file").strip())
    except OSError as exc:
        raise InvalidInputError(f"cannot read price file {path}: {exc.strerror}") from exc
    return prices


def describe_basis(price_file: Path | None, basis: tuple[str, ...]) -> str:
    """The price basis in words, for the card and the assumptions.

    Args:
        price_file: The operator's price file, if any (it is then the whole basis).
        basis: The shipped providers used when there is no price file.

    Returns:
        E.g. ``aws on-demand list prices``.
    """
    if price_file is not None:
        return f"the operator price file {price_file.name}"
    return " then ".join(basis) + " on-demand list prices"
