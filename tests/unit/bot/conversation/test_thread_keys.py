"""Tests of bot.conversation.thread_keys: keys scoped by workspace, and the key before tenants."""

from __future__ import annotations

import pytest

from bot.conversation.thread_keys import legacy_key, scoped, workspace_of


@pytest.mark.parametrize(
    ("key", "workspace", "legacy"),
    [
        pytest.param(scoped("slack:T1", "slack:C1:1.0"), "slack:T1", "slack:C1:1.0", id="slack"),
        pytest.param(
            scoped("teams:t-1", "teams:19:a@thread.tacv2;messageid=1"),
            "teams:t-1",
            "teams:19:a@thread.tacv2;messageid=1",
            id="teams",
        ),
        pytest.param("slack:C1:1.0", None, None, id="pre-tenant-key"),
        pytest.param("test:abc", None, None, id="terminal"),
        pytest.param("/odd", None, None, id="no-workspace-before-the-slash"),
    ],
)
def test_a_key_names_its_workspace_and_its_pre_tenant_key(
    key: str, workspace: str | None, legacy: str | None
) -> None:
    assert (workspace_of(key), legacy_key(key)) == (workspace, legacy)


@pytest.mark.parametrize("workspace", ["", "slack:T1/x"])
def test_a_workspace_id_is_never_empty_nor_holds_the_separator(workspace: str) -> None:
    with pytest.raises(ValueError, match="not a workspace id"):
        scoped(workspace, "slack:C1:1.0")
