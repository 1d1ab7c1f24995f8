"""Price bases: providers of the shipped table, parsing the setting, describing the basis."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import UnknownNameError
from knowledge.prices import describe_basis, parse_price_basis, price_on, price_providers


def test_every_shipped_price_names_its_provider_and_source() -> None:
    assert {"aws", "lambda", "runpod"} <= set(price_providers())
    row = price_on("A100-SXM-80GB", ("runpod",))
    assert row is not None and row.usd_per_gpu_hr == 1.89 and "runpod" in row.source


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", ("aws",), id="default"),
        pytest.param("AWS", ("aws",), id="case"),
        pytest.param("lambda, runpod", ("lambda", "runpod"), id="named-set"),
    ],
)
def test_parse_price_basis(text: str, expected: tuple[str, ...]) -> None:
    assert parse_price_basis(text) == expected


def test_unknown_provider_names_the_closest() -> None:
    with pytest.raises(UnknownNameError) as info:
        parse_price_basis("lamda")
    assert "lambda" in info.value.closest


def test_basis_in_words() -> None:
    assert describe_basis(None, ("aws",)) == "aws on-demand list prices"
    assert "ours.csv" in describe_basis(Path("/x/ours.csv"), ("aws",))
