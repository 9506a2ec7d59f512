"""deploy/k8s: the manifests hang together and every setting reaches a process that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
COMPONENTS = {"gapwatch-collector": "collector", "gapwatch-analyzer": "analyzer"}


def documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found = []
    for resource in kustomization["resources"]:
        found += [doc for doc in yaml.safe_load_all((K8S / resource).read_text()) if doc]
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def workloads() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod template, container) for every Deployment and Job."""
    pairs = []
    for kind in ("Deployment", "Job"):
        for doc in by_kind(kind).values():
            for container in doc["spec"]["template"]["spec"]["containers"]:
                pairs.append((doc["spec"]["template"], container))
    return pairs


def test_manifests_hold_the_expected_objects() -> None:
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in documents()}
    assert {
        ("Deployment", "gapwatch-collector"),
        ("HorizontalPodAutoscaler", "gapwatch-collector"),
        ("Service", "gapwatch-collector"),
        ("Deployment", "gapwatch-analyzer"),
        ("Service", "gapwatch-analyzer"),
        ("Job", "gapwatch-init-db"),
    } <= kinds


def test_selectors_match_pod_labels() -> None:
    deployments = by_kind("Deployment")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
    for kind in ("Service", "PodDisruptionBudget"):
        for name, doc in by_kind(kind).items():
            selector = doc["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            matched = [
                d
                for d in deployments.values()
                if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            ]
            assert len(matched) == 1, f"{kind} {name} selects {len(matched)} deployments"


def test_service_ports_target_named_container_ports() -> None:
    deployments = by_kind("Deployment")
    for name, service in by_kind("Service").items():
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        names = {port["name"] for port in container["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names, f"{name}: {port['targetPort']}"


def test_collector_scales_out_and_analyzer_runs_one_scheduler() -> None:
    deployments = by_kind("Deployment")
    hpa = by_kind("HorizontalPodAutoscaler")["gapwatch-collector"]["spec"]
    assert hpa["scaleTargetRef"]["name"] in deployments
    assert deployments["gapwatch-collector"]["spec"]["replicas"] >= 2
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    analyzer = deployments["gapwatch-analyzer"]["spec"]
    assert analyzer["replicas"] == 1
    assert analyzer["strategy"]["type"] == "Recreate"
    assert "gapwatch-analyzer" not in by_kind("HorizontalPodAutoscaler")


def test_probes_hit_real_ports_and_paths(served_paths: dict[str, str]) -> None:
    for _, container in workloads():
        component = COMPONENTS[container["image"]]
        if "ports" not in container:  # the init-db Job: runs to completion, serves nothing
            assert "livenessProbe" not in container
            continue
        ports = {port["name"] for port in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe"):
            http = container[probe]["httpGet"]
            assert http["port"] in ports, f"{component} {probe} port"
            assert f'"{http["path"]}"' in served_paths[component], f"{component} {http['path']}"


def test_every_env_var_a_container_gets_is_one_it_reads(known_env: dict[str, set[str]]) -> None:
    config_maps, secrets = by_kind("ConfigMap"), by_kind("Secret")
    for _, container in workloads():
        component = COMPONENTS[container["image"]]
        names = {item["name"] for item in container.get("env", [])}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                names |= set(config_maps[source["configMapRef"]["name"]]["data"])
            else:
                names |= set(secrets[source["secretRef"]["name"]]["stringData"])
        unknown = names - known_env[component]
        assert not unknown, f"{container['name']} gets unread {sorted(unknown)}"
        assert "GAPWATCH_CLICKHOUSE_URL" in names


def test_containers_request_resources_and_run_unprivileged(
    gapwatch_subcommands: set[str],
) -> None:
    for template, container in workloads():
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        assert template["spec"]["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        if container["image"] == "gapwatch-analyzer":
            assert container["args"][0] in gapwatch_subcommands


def test_kustomize_image_names_match_the_containers() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    images = {image["name"] for image in kustomization["images"]}
    assert {container["image"] for _, container in workloads()} == images
