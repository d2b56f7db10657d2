"""The generated Kubernetes manifests: valid for the API server, scrapeable, spread, and their examples consistent."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.conftest import RenderRepo

ANSWERS = [{}, {"enable_pprof": "false", "port": "9090"}, {"pprof_port": "9090"}]
IDS = ["defaults", "no-pprof-port-9090", "pprof-on-9090"]
# The oldest Kubernetes release the manifests are meant for: matchLabelKeys in a topology spread
# constraint is on by default from 1.27.
OLDEST_KUBERNETES = "1.29.0"


@pytest.fixture(params=ANSWERS, ids=IDS)
def repo(request: pytest.FixtureRequest, render_repo: RenderRepo) -> Path:
    return render_repo("shop", **request.param)


def documents(repo: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((repo / "deploy").rglob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
def test_every_manifest_passes_strict_validation(repo: Path, version: str) -> None:
    for doc in documents(repo):
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # the Prometheus Operator's own resource: checked below, against the Service
        kubernetes_validate.validate(doc, version, strict=True)


def test_prometheus_reaches_the_metrics_port_and_nothing_more(repo: Path) -> None:
    docs = documents(repo)
    deployment, service = of_kind(docs, "Deployment"), of_kind(docs, "Service")
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["METRICS_ADDR"] == f":{ports['metrics']}"
    assert ports["metrics"] != ports["http"]
    assert env["PORT"] == str(ports["http"])
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(ports["metrics"])
    assert annotations["prometheus.io/path"] == "/metrics"
    # pprof stays on loopback: never declared, never in a Service.
    assert set(ports) == {"http", "metrics"}
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {"http", "metrics"}

    monitor = of_kind(docs, "ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"

    policy = of_kind(docs, "NetworkPolicy")
    assert policy["spec"]["podSelector"] == deployment["spec"]["selector"]
    admitted = [(rule.get("from"), [p["port"] for p in rule["ports"]]) for rule in policy["spec"]["ingress"]]
    assert (None, ["http"]) in admitted  # the service's port, from anywhere
    ((scraper, metrics_ports),) = [(src, p) for src, p in admitted if src is not None]
    assert metrics_ports == ["metrics"] and scraper  # the metrics port, from the scraper alone


def test_the_metrics_port_never_collides_with_the_service_or_pprof(repo: Path) -> None:
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    config = (repo / "internal" / "config" / "config.go").read_text()
    container = of_kind(documents(repo), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    metrics_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
    assert f'DefaultMetricsAddr     = ":{metrics_port}"' in config
    taken = {answers["port"]} | ({answers["pprof_port"]} if answers["enable_pprof"] else set())
    assert metrics_port not in taken
    assert "metrics_port" not in answers  # derived, never asked or recorded


def test_replicas_spread_over_nodes_and_zones_and_the_autoscaler_targets_the_deployment(repo: Path) -> None:
    docs = documents(repo)
    deployment = of_kind(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    spread = {c["topologyKey"]: c for c in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for constraint in spread.values():
        assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()
        assert constraint["maxSkew"] == 1
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"

    hpa = of_kind(docs, "HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    budget = of_kind(docs, "PodDisruptionBudget")
    assert hpa["spec"]["minReplicas"] > budget["spec"]["maxUnavailable"]  # a drain never takes the last replica
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert "cpu" in container["resources"]["requests"]  # utilisation is measured against the request
