"""deploy/compose: the compose file and the Dockerfiles it builds, checked against the code.

No container engine runs here, so the file is checked structurally; each check names a way
the stack would fail to start or would silently ignore a setting.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

COMPOSE = DEPLOY / "compose" / "compose.yaml"
DOCKERFILES = {
    "collector": DEPLOY / "docker/collector.Dockerfile",
    "analyzer": DEPLOY / "docker/analyzer.Dockerfile",
}
GAPWATCH_IMAGES = {"gapwatch-collector:local": "collector", "gapwatch-analyzer:local": "analyzer"}
_PINNED = re.compile(r"^[\w./-]+:\d+(\.\d+)+[\w.-]*$")
_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")  # not Grafana's $__macros


def load_compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def gapwatch_services() -> dict[str, tuple[str, dict[str, Any]]]:
    found = {}
    for name, service in load_compose()["services"].items():
        component = GAPWATCH_IMAGES.get(service.get("image", ""))
        if component:
            found[name] = (component, service)
    return found


def dockerfile_instruction(text: str, keyword: str) -> str:
    joined = text.replace("\\\n", " ")
    lines = [line for line in joined.splitlines() if line.startswith(keyword + " ")]
    assert lines, f"no {keyword}"
    return lines[-1][len(keyword) + 1 :].strip()


def test_compose_file_parses_with_the_expected_services() -> None:
    services = load_compose()["services"]
    assert {"clickhouse", "init-db", "collector", "analyzer", "grafana"} <= set(services)


def test_third_party_images_are_pinned_to_a_version() -> None:
    for name, service in load_compose()["services"].items():
        image = service.get("image", "")
        if image in GAPWATCH_IMAGES:
            continue
        assert _PINNED.match(image), f"{name}: {image!r} is not pinned to a version"


def test_every_gapwatch_env_var_is_one_the_service_reads(known_env: dict[str, set[str]]) -> None:
    services = gapwatch_services()
    assert {component for component, _ in services.values()} == {"collector", "analyzer"}
    for name, (component, service) in services.items():
        unknown = set(service.get("environment", {})) - known_env[component]
        assert not unknown, f"{name} sets variables {component} never reads: {sorted(unknown)}"


def test_gapwatch_services_reach_clickhouse_through_a_server_url() -> None:
    for name, (_, service) in gapwatch_services().items():
        url = service["environment"]["GAPWATCH_CLICKHOUSE_URL"]
        assert url.startswith("http://") and "@clickhouse:8123/" in url, name


def test_gapwatch_commands_exist(gapwatch_subcommands: set[str]) -> None:
    for name, (component, service) in gapwatch_services().items():
        if component == "analyzer":
            command = service.get("command") or ["serve"]
            assert command[0] in gapwatch_subcommands, f"{name}: gapwatch {command[0]} missing"


def test_services_start_after_the_schema_exists() -> None:
    services = load_compose()["services"]
    for name in ("collector", "analyzer", "otelcol"):
        condition = services[name]["depends_on"]["init-db"]["condition"]
        assert condition == "service_completed_successfully", name
    assert services["init-db"]["command"] == ["init-db"]


def test_dependencies_and_built_dockerfiles_exist() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        build = service.get("build")
        if build:
            context = (COMPOSE.parent / build["context"]).resolve()
            assert context == ROOT
            assert (context / build["dockerfile"]).is_file()


def test_bind_mounted_paths_exist() -> None:
    for name, service in load_compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name} mounts missing {source}"


def test_grafana_gets_every_variable_its_provisioning_files_use() -> None:
    grafana = load_compose()["services"]["grafana"]
    provisioning = COMPOSE.parent / "../../dashboards/provisioning"
    used = {
        match
        for path in provisioning.rglob("*.y*ml")
        for match in _VARIABLE.findall(path.read_text())
    }
    assert used, "no provisioning files use environment variables"
    missing = used - set(grafana["environment"])
    assert not missing, f"grafana lacks {sorted(missing)}"
    assert grafana["environment"]["GF_PLUGINS_PREINSTALL_SYNC"].startswith(
        "grafana-clickhouse-datasource@"
    )


def test_grafana_datasource_points_at_the_compose_clickhouse_as_the_reader() -> None:
    grafana = load_compose()["services"]["grafana"]["environment"]
    path = COMPOSE.parent / "../../dashboards/provisioning/datasources/gapwatch-clickhouse.yaml"
    source = yaml.safe_load(path.read_text())["datasources"][0]

    def resolved(value: object) -> str:
        return _VARIABLE.sub(lambda m: str(grafana.get(m.group(1), m.group(0))), str(value))

    data = source["jsonData"]
    assert resolved(data["host"]) == "clickhouse"
    assert resolved(data["username"]) == "gapwatch_reader"
    assert resolved(data["defaultDatabase"]) == grafana["GAPWATCH_GRAFANA_CLICKHOUSE_DATABASE"]
    assert resolved(source["secureJsonData"]["password"]) == "${GAPWATCH_READER_PASSWORD}"


def test_every_variable_the_compose_file_needs_is_in_the_example_env() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)(?::?\?|\})", text))
    example = {
        line.split("=", 1)[0]
        for line in (COMPOSE.parent / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert required <= example, sorted(required - example)


def test_dockerfile_entrypoints_are_console_scripts(console_scripts: dict[str, set[str]]) -> None:
    for component, path in DOCKERFILES.items():
        entrypoint = yaml.safe_load(dockerfile_instruction(path.read_text(), "ENTRYPOINT"))
        assert entrypoint[0] in console_scripts[component], path.name


def test_analyzer_image_default_command_exists(gapwatch_subcommands: set[str]) -> None:
    command = yaml.safe_load(dockerfile_instruction(DOCKERFILES["analyzer"].read_text(), "CMD"))
    assert command[0] in gapwatch_subcommands


def test_images_run_as_non_root_with_a_health_check(served_paths: dict[str, str]) -> None:
    for component, path in DOCKERFILES.items():
        text = path.read_text()
        user = dockerfile_instruction(text, "USER").split(":")[0]
        assert user.isdigit() and int(user) != 0, path.name
        health = dockerfile_instruction(text, "HEALTHCHECK")
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", health)
        assert url, path.name
        assert f'"{url.group(2)}"' in served_paths[component], f"{component} serves no {url[2]}"
        assert url.group(1) in dockerfile_instruction(text, "EXPOSE").split()


def test_images_install_from_the_default_index_only() -> None:
    for path in DOCKERFILES.values():
        for line in path.read_text().splitlines():
            if "pip " in line:
                words = shlex.split(line.replace("\\", ""))
                flags = ("--index-url", "--extra-index-url", "-i")
                assert not any(word.startswith(flags) for word in words)


def test_docker_build_context_is_limited_to_package_sources() -> None:
    for path in DOCKERFILES.values():
        ignore = Path(f"{path}.dockerignore").read_text().splitlines()
        assert ignore[0].startswith("#") and "**" in ignore
