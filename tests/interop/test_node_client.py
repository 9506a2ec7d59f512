"""The Node.js OpenTelemetry SDK's OTLP exporters → collector → otel_traces, field by field.

``node/send_spans.js`` records the same scenario as the Python tests with the Node SDK
(``@opentelemetry/sdk-trace``) and ships it with ``@opentelemetry/exporter-trace-otlp-proto``
(protobuf) or ``@opentelemetry/exporter-trace-otlp-http`` (JSON). The packages come from
``npm ci`` in ``tests/interop/node`` (``make node-deps``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from interop_scenario import Capabilities, assert_round_trip, build_scenario, wire_spec

from gapwatch.collector.server import CollectorServer

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "send_spans.js"
NODE_TIMEOUT_S = 30
# JavaScript numbers stop at 2**53; the SDK takes maps, byte arrays and nulls in arrays as values
NODE_SDK = Capabilities(int64=False, kvlist=True, bytes_values=True, null_in_arrays=True)


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is required for the interop test (install nodejs)"
    missing = not (NODE_DIR / "node_modules" / "@opentelemetry" / "sdk-trace").is_dir()
    assert not missing, "run `make node-deps` (npm ci in tests/interop/node) first"
    return node


def _send(
    collector: CollectorServer,
    tmp_path: Path,
    client: str,
    salt: int,
    protocol: str,
    compression: str = "",
) -> dict[str, Any]:
    scenario = build_scenario(client, NODE_SDK, salt)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(wire_spec(scenario)), encoding="utf-8")
    url = f"http://127.0.0.1:{collector.http_port}/v1/traces"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    done = subprocess.run(
        [_node(), str(SCRIPT), str(spec_path), url, protocol, compression],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, (
        f"node exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    )
    report = json.loads(lines[-1])
    assert report["ok"], report
    return scenario


@pytest.mark.parametrize(
    ("protocol", "compression", "salt"),
    [("proto", "", 0x2001), ("json", "", 0x2002), ("proto", "gzip", 0x2003)],
    ids=["protobuf", "json", "protobuf-gzip"],
)
def test_node_sdk_round_trip(
    collector: CollectorServer, tmp_path: Path, protocol: str, compression: str, salt: int
) -> None:
    scenario = _send(
        collector, tmp_path, f"node-{protocol}{compression}", salt, protocol, compression
    )
    assert collector.wait_stored(20)
    assert_round_trip(collector.client, scenario)
