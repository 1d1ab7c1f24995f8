"""Tests of bot.settings: tenants from the environment, and refused when they would overlap."""

from __future__ import annotations

import json

import pytest

from bot.settings import load_settings
from domain.errors import ConfigurationError


def test_tenants_are_read_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = {
        "slack:T0001": {"namespaces": ["team-a"], "approvers": ["group:ml-a"]},
        "teams:72f988bf-86f1-41af-91ab-2d7cd011db47": {
            "namespaces": ["team-b", "team-b-dev"],
            "allowed_gpus": ["L40S", "H100"],
            "required_approvals": 2,
        },
    }
    monkeypatch.setenv("PREFLIGHT_TENANTS", json.dumps(tenants))
    settings = load_settings()
    assert settings.tenants["slack:T0001"].approvers == ["group:ml-a"]
    b = settings.tenants["teams:72f988bf-86f1-41af-91ab-2d7cd011db47"]
    assert (b.namespaces, b.allowed_gpus, b.required_approvals) == (
        ["team-b", "team-b-dev"],
        ["L40S", "H100"],
        2,
    )


@pytest.mark.parametrize(
    ("tenants", "why"),
    [
        pytest.param(
            {"slack:T1": {"namespaces": ["ns"]}, "slack:T2": {"namespaces": ["other", "ns"]}},
            "namespace 'ns' is given to tenants",
            id="shared-namespace",
        ),
        pytest.param({"T1": {"namespaces": ["ns"]}}, "key it by workspace", id="bare-team-id"),
        pytest.param({"slack:T1": {"namespaces": []}}, "namespaces", id="no-namespace"),
    ],
)
def test_tenants_that_would_mix_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, tenants: dict[str, object], why: str
) -> None:
    monkeypatch.setenv("PREFLIGHT_TENANTS", json.dumps(tenants))
    with pytest.raises(ConfigurationError, match=why):
        load_settings()
