"""Tests of deploy.tenancy: a tenant's records and audit trail are its own."""

from __future__ import annotations

from pathlib import Path

from deploy.records import MemoryRecords
from deploy.tenancy import ScopedRecords, audit_path, audit_stream


def test_tenants_over_one_store_never_see_each_others_records() -> None:
    shared = MemoryRecords()
    alpha = ScopedRecords(shared, workspace="slack:TA")
    beta = ScopedRecords(shared, workspace="slack:TB")
    assert alpha.put("request:r1", "a", only_if_absent=True)
    assert beta.put("request:r1", "b", only_if_absent=True)  # the same id, another tenant
    alpha.append("approvals:r1", "bob")
    assert (alpha.get("request:r1"), beta.get("request:r1")) == ("a", "b")
    assert (alpha.items("approvals:r1"), beta.items("approvals:r1")) == (["bob"], [])
    assert shared.get("request:r1") is None
    beta.delete("request:r1")
    assert (alpha.get("request:r1"), beta.get("request:r1")) == ("a", None)


def test_each_tenant_audits_to_its_own_stream_and_file() -> None:
    assert audit_stream("preflight:audit", "teams:t-1") == "preflight:audit:teams:t-1"
    base = Path("/var/preflight/audit.jsonl")
    alpha, beta = audit_path(base, "slack:TA"), audit_path(base, "slack:TB")
    assert alpha.parent == base.parent and alpha.suffix == ".jsonl"
    assert alpha.name.startswith("audit.slack-TA-") and alpha != beta != base
    assert audit_path(base, "slack:T/A") != audit_path(base, "slack:T-A")  # slugs alike, files not
