"""From a chosen option to a running, approved, reversible endpoint.

plan (validated values) → render (Jinja2 templates, golden-tested) → validate (real CRD schemas,
kubernetes-validate, operator policy) → approval (policy, bound to the manifests' sha256) →
service/execute (RBAC check, idempotent dry run and apply, revisions) → watch → rollback, with
every step in the audit trail. Ports: cluster (dry-run folder | kubernetes client), records
(memory | file | Redis), audit (JSON lines | Redis stream). Only ``k8s_cluster`` imports
kubernetes; only ``audit_redis`` and ``redis_records`` import redis.
"""
