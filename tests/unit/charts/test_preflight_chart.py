"""The Helm chart in ``charts/preflight``, rendered and linted by Helm v4's own code (PyPI
``helm-python-sdk``, offline) and every object validated with kubernetes-validate (or its CRD).

Default values and production values (``charts/preflight/ci/production-values.yaml``) both render
to objects a cluster accepts; values that cannot work or would be unsafe stop the render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from deploy.validate import validate_object

CHART = Path(__file__).resolve().parents[3] / "charts" / "preflight"
PRODUCTION = yaml.safe_load((CHART / "ci" / "production-values.yaml").read_text())
Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def chart() -> helm.Chart:
    return helm.Chart.load(CHART)


def render(chart: helm.Chart, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Template name → rendered text, as ``helm template`` would install it."""
    return chart.render(values, name="preflight", namespace="platform", is_install=True)


def objects(chart: helm.Chart, values: dict[str, Any] | None = None) -> list[Manifest]:
    docs: list[Manifest] = []
    for name, text in render(chart, values).items():
        if name.endswith(".yaml"):
            docs += [doc for doc in yaml.safe_load_all(text) if doc]
    return docs


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def with_values(**overrides: Any) -> dict[str, Any]:
    return {**PRODUCTION, **overrides}


@pytest.mark.parametrize(
    "values", [pytest.param(None, id="default"), pytest.param(PRODUCTION, id="production")]
)
def test_lint_passes_strictly(values: dict[str, Any] | None) -> None:
    report = helm.lint(CHART, values, strict=True, namespace="platform")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert (report["errors"], problems) == ([], [])


@pytest.mark.parametrize(
    "values", [pytest.param(None, id="default"), pytest.param(PRODUCTION, id="production")]
)
def test_every_object_validates(chart: helm.Chart, values: dict[str, Any] | None) -> None:
    docs = objects(chart, values)
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "ConfigMap", "ClusterRole", "Role", "NetworkPolicy"} <= kinds
    for doc in docs:
        validate_object(doc)
        labels = doc["metadata"]["labels"]
        assert labels["helm.sh/chart"] == "preflight-0.1.0"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"


def test_production_has_pdb_servicemonitor_and_no_shared_volume(chart: helm.Chart) -> None:
    docs = objects(chart, PRODUCTION)
    assert of_kind(docs, "PersistentVolumeClaim") == []
    (deployment,) = of_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert all("persistentVolumeClaim" not in volume for volume in volumes)
    (pdb,) = of_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    (monitor,) = of_kind(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert deployment["metadata"]["name"] == "preflight-assistant"


def test_the_pod_fits_openshift_restricted_v2(chart: helm.Chart) -> None:
    for values in (None, PRODUCTION):
        (deployment,) = of_kind(objects(chart, values), "Deployment")
        pod = deployment["spec"]["template"]["spec"]
        assert "runAsUser" not in pod["securityContext"]
        assert "fsGroup" not in pod["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"] + pod["initContainers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert "runAsUser" not in security
            assert container["resources"]["requests"]


def test_overrides_reach_the_pod(chart: helm.Chart) -> None:
    (deployment,) = of_kind(objects(chart, PRODUCTION), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == PRODUCTION["nodeSelector"]
    assert pod["tolerations"] == PRODUCTION["tolerations"]
    assert pod["affinity"] == PRODUCTION["affinity"]
    env = pod["containers"][0]["env"]
    assert {"name": "OMP_NUM_THREADS", "value": "2"} in env
    assert pod["containers"][0]["image"] == "registry.example.com/platform/preflight:0.1.0"


def test_impersonation_is_limited_to_the_mapped_identities(chart: helm.Chart) -> None:
    (role,) = [doc for doc in of_kind(objects(chart, PRODUCTION), "ClusterRole")]
    impersonation = [rule for rule in role["rules"] if "impersonate" in rule["verbs"]]
    assert {tuple(rule["resources"]): rule["resourceNames"] for rule in impersonation} == {
        ("users",): ["bob@example.com", "carol@example.com"],
        ("groups",): ["ml-platform", "sre"],
    }
    default_role = of_kind(objects(chart), "ClusterRole")[0]
    assert all("impersonate" not in rule["verbs"] for rule in default_role["rules"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"replicas": "two"}, "replicas", id="replicas-not-a-number"),
        pytest.param({"replicas": 0}, "replicas", id="no-replicas"),
        pytest.param(
            {"podSecurityContext": {"runAsUser": 10001}}, "podSecurityContext", id="fixed-uid"
        ),
        pytest.param({"colour": "blue"}, "colour", id="unknown-key"),
        pytest.param(
            {"persistence": {"enabled": True}}, "ReadWriteOnce", id="rwo-shared-by-replicas"
        ),
        pytest.param({"sharedState": False}, "Redis", id="replicas-without-redis"),
        pytest.param(
            {"identityGroups": {"U0EVE": ["system:masters"]}}, "system:", id="system-masters"
        ),
        pytest.param({"identities": {}}, "identities", id="impersonation-of-no-one"),
        pytest.param(
            {"tracing": {"otlpEndpoint": "collector:4318"}}, "otlpEndpoint", id="tracing-not-a-url"
        ),
    ],
)
def test_values_that_cannot_work_stop_the_render(
    chart: helm.Chart, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmError, match=message):
        chart.validate_schema(with_values(**overrides))
        render(chart, with_values(**overrides))


def test_notes_say_where_to_point_slack_and_teams(chart: helm.Chart) -> None:
    notes = render(chart, PRODUCTION)["preflight/templates/NOTES.txt"]
    assert "/slack/events" in notes and "/api/messages" in notes
    assert "bob@example.com, carol@example.com" in notes


def test_the_deployer_role_lets_preflight_run_and_read_the_measuring_job(chart: helm.Chart) -> None:
    from deploy.cluster import RESOURCES

    roles = of_kind(objects(chart), "Role")
    assert roles
    group, _, plural = RESOURCES["Job"]  # what deploy.k8s_cluster applies and reads
    for role in roles:
        granted = {
            (g, resource, verb)
            for rule in role["rules"]
            for g in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }
        for verb in ("get", "create", "patch", "delete"):
            assert (group, plural, verb) in granted
        assert {("", "pods", "list"), ("", "pods/log", "get")} <= granted


def test_the_chart_runs_the_image_the_containerfile_builds(chart: helm.Chart) -> None:
    """The pod's runAsNonRoot needs a numeric non-root USER (kubelet cannot check a name), group
    0 for OpenShift's arbitrary UIDs; the init container unpacks the seed the image writes."""
    lines = (CHART.parents[1] / "Containerfile").read_text().splitlines()
    instructions = [line.split(maxsplit=1) for line in lines if line and line[0].isupper()]
    user = [args for word, args in instructions if word == "USER"][-1]
    uid, gid = user.split(":")
    assert int(uid) > 0 and gid == "0"
    (deployment,) = of_kind(objects(chart), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    init = pod["initContainers"][0]["command"]
    seed = init[init.index("--seed") + 1]
    assert f"kb archive --out {seed}" in "\n".join(lines)
    port = pod["containers"][0]["ports"][0]["containerPort"]
    assert [args for word, args in instructions if word == "EXPOSE"] == [str(port)]


def test_the_dashboard_charts_only_metrics_preflight_exports(chart: helm.Chart) -> None:
    import json
    import re

    from bot.adapters.memory_inbox import InMemoryInbox
    from bot.adapters.metrics import PrometheusMetrics

    default = [doc["metadata"]["name"] for doc in of_kind(objects(chart), "ConfigMap")]
    assert not [name for name in default if name.endswith("-dashboard")]  # off by default
    (dashboard,) = [
        doc
        for doc in of_kind(objects(chart, PRODUCTION), "ConfigMap")
        if doc["metadata"]["name"].endswith("-dashboard")
    ]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    panels = json.loads(dashboard["data"]["preflight.json"])["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"preflight_[a-z_]+", expr)}
    metrics = PrometheusMetrics()
    metrics.watch_inbox(InMemoryInbox())  # as serve does
    families = list(metrics.registry.collect())
    exported = {family.name for family in families if family.type == "gauge"} | {
        f"{family.name}{suffix}" for family in families for suffix in ("_total", "_bucket")
    }
    assert "preflight_inbox_jobs" in used  # the queue depth is charted
    assert used and used <= exported, used - exported


TENANTS = {
    "slack:TALPHA": {"namespaces": ["llm-serving"], "approvers": ["group:ml-a"]},
    "teams:72f988bf-86f1-41af-91ab-2d7cd011db47": {
        "namespaces": ["llm-staging"],
        "allowed_gpus": ["L40S"],
    },
}


def test_tenants_reach_preflight_as_one_setting(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.settings import load_settings

    (config,) = _settings_map(objects(chart, with_values(tenants=TENANTS)))
    monkeypatch.setenv("PREFLIGHT_TENANTS", config["data"]["PREFLIGHT_TENANTS"])
    settings = load_settings()
    assert set(settings.tenants) == set(TENANTS)
    assert settings.tenants["slack:TALPHA"].approvers == ["group:ml-a"]
    assert "PREFLIGHT_TENANTS" not in _settings_map(objects(chart))[0]["data"]


def test_tracing_values_reach_preflight_and_default_to_off(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.settings import load_settings

    (config,) = _settings_map(objects(chart, PRODUCTION))
    for name in ("PREFLIGHT_TRACING__OTLP_ENDPOINT", "PREFLIGHT_TRACING__SERVICE_NAME"):
        monkeypatch.setenv(name, config["data"][name])
    settings = load_settings()
    assert settings.tracing.otlp_endpoint == PRODUCTION["tracing"]["otlpEndpoint"]
    assert settings.tracing.service_name == "preflight"
    assert not [key for key in _settings_map(objects(chart))[0]["data"] if "TRACING" in key]


def _settings_map(docs: list[Manifest]) -> list[Manifest]:
    """The ConfigMap of PREFLIGHT_* settings (not the dashboard's)."""
    return [d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-settings")]


@pytest.mark.parametrize(
    ("tenants", "message"),
    [
        pytest.param(
            {"slack:TALPHA": {"namespaces": ["team-x"]}},
            "not in targetNamespaces",
            id="namespace-without-rights",
        ),
        pytest.param(
            {
                "slack:TA": {"namespaces": ["llm-serving"]},
                "slack:TB": {"namespaces": ["llm-serving"]},
            },
            "belongs to one tenant",
            id="shared-namespace",
        ),
        pytest.param({"TALPHA": {"namespaces": ["llm-serving"]}}, "TALPHA", id="bare-team-id"),
    ],
)
def test_tenants_that_cannot_work_stop_the_render(
    chart: helm.Chart, tenants: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmError, match=message):
        chart.validate_schema(with_values(tenants=tenants))
        render(chart, with_values(tenants=tenants))
