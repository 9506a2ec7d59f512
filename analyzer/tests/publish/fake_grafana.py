"""A loopback Grafana stand-in: the documented endpoints gapwatch uses, with strict bodies.

It answers like Grafana (404 for unknown uids, 409 for duplicate folders, 400 for bodies with
missing or mistyped fields, 401 without the token), keeps what it is sent, and records every
call. The server stops itself after ``lifetime_s`` so a failing test cannot leave it running.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RULE_FIELDS = {"uid": str, "title": str, "condition": str, "data": list, "folderUID": str,
               "ruleGroup": str, "noDataState": str, "execErrState": str, "for": str,
               "orgID": int}
QUERY_FIELDS = {"refId": str, "datasourceUid": str, "model": dict, "relativeTimeRange": dict}
DATASOURCE_FIELDS = {"name": str, "type": str, "access": str, "uid": str, "jsonData": dict}
DASHBOARD_FIELDS = {"uid": str, "title": str, "panels": list, "schemaVersion": int}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    status: int
    body: Any


class BadRequest(Exception):
    pass


def require(body: Any, fields: dict[str, type], where: str) -> None:
    if not isinstance(body, dict):
        raise BadRequest(f"{where}: body must be an object")
    for name, kind in fields.items():
        if name not in body:
            raise BadRequest(f"{where}: missing field {name!r}")
        if not isinstance(body[name], kind) or (kind is int and isinstance(body[name], bool)):
            raise BadRequest(f"{where}: field {name!r} must be {kind.__name__}")


def validate_rule(rule: Any) -> None:
    require(rule, RULE_FIELDS, "alert rule")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", rule["uid"]):
        raise BadRequest("alert rule: invalid uid")
    refs = set()
    for node in rule["data"]:
        require(node, QUERY_FIELDS, "alert query")
        span = node["relativeTimeRange"]
        if node["datasourceUid"] != "__expr__" and span.get("from", 0) == span.get("to", 0) == 0:
            raise BadRequest("invalid relative time range")
        refs.add(node["refId"])
    if rule["condition"] not in refs:
        raise BadRequest("condition refers to no query")


class FakeGrafana:
    def __init__(self, token: str, lifetime_s: float = 60.0) -> None:
        self.token = token
        self.calls: deque[Call] = deque(maxlen=1000)
        self.folders: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime_s, self._server.shutdown)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.method != "GET"]

    def __enter__(self) -> FakeGrafana:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:  # noqa: C901
        if m := re.fullmatch(r"/api/folders/([\w-]+)", path):
            uid = m.group(1)
            if method == "GET":
                return (200, self.folders[uid]) if uid in self.folders else (404, None)
            if method == "PUT":
                require(body, {"title": str}, "folder")
                self.folders[uid]["title"] = body["title"]
                return 200, self.folders[uid]
        if path == "/api/folders" and method == "POST":
            require(body, {"title": str, "uid": str}, "folder")
            if body["uid"] in self.folders:
                return 409, {"message": "a folder with that uid already exists"}
            self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"], "id": 1}
            return 200, self.folders[body["uid"]]
        if m := re.fullmatch(r"/api/datasources/uid/([\w-]+)", path):
            uid = m.group(1)
            if method == "GET":
                return (200, self.datasources[uid]) if uid in self.datasources else (404, None)
            if method == "PUT":
                require(body, DATASOURCE_FIELDS, "datasource")
                self.datasources[uid] = {**body, "id": 7}
                return 200, {"datasource": self.datasources[uid]}
        if path == "/api/datasources" and method == "POST":
            require(body, DATASOURCE_FIELDS, "datasource")
            stored = {k: v for k, v in body.items() if k != "secureJsonData"}
            self.datasources[body["uid"]] = {**stored, "id": 7}
            return 200, {"datasource": self.datasources[body["uid"]], "id": 7}
        if path == "/api/dashboards/db" and method == "POST":
            require(body, {"dashboard": dict, "folderUid": str, "overwrite": bool}, "envelope")
            require(body["dashboard"], DASHBOARD_FIELDS, "dashboard")
            if body["folderUid"] not in self.folders:
                return 400, {"message": "folder not found"}
            dashboard = body["dashboard"]
            previous = self.dashboards.get(dashboard["uid"])
            version = previous["dashboard"]["version"] + 1 if previous else 1
            self.dashboards[dashboard["uid"]] = {
                "dashboard": {**dashboard, "id": 11, "version": version},
                "meta": {"folderUid": body["folderUid"]},
            }
            return 200, {"uid": dashboard["uid"], "status": "success", "version": version}
        if m := re.fullmatch(r"/api/dashboards/uid/([\w-]+)", path):
            uid = m.group(1)
            return (200, self.dashboards[uid]) if uid in self.dashboards else (404, None)
        if m := re.fullmatch(r"/api/v1/provisioning/alert-rules(?:/([\w-]+))?", path):
            uid = m.group(1)
            if method == "GET" and uid:
                return (200, self.rules[uid]) if uid in self.rules else (404, None)
            if method == "POST" and not uid:
                validate_rule(body)
                if body["folderUID"] not in self.folders:
                    return 400, {"message": "folder does not exist"}
                self.rules[body["uid"]] = {**body, "id": len(self.rules) + 1,
                                           "provenance": "api"}
                return 201, self.rules[body["uid"]]
            if method == "PUT" and uid:
                validate_rule(body)
                if uid not in self.rules:
                    return 404, None
                self.rules[uid] = {**body, "id": self.rules[uid]["id"], "provenance": "api"}
                return 200, self.rules[uid]
        if m := re.fullmatch(r"/api/v1/provisioning/folder/([\w-]+)/rule-groups/([\w-]+)", path):
            key = (m.group(1), m.group(2))
            if method == "GET":
                return (200, self.groups[key]) if key in self.groups else (404, None)
            if method == "PUT":
                require(body, {"title": str, "interval": int, "rules": list}, "rule group")
                for rule in body["rules"]:
                    validate_rule(rule)
                self.groups[key] = {**body, "folderUid": key[0]}
                return 200, self.groups[key]
        return 404, {"message": f"no route {method} {path}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                try:
                    body = json.loads(raw) if raw else None
                    if self.headers.get("Authorization") != f"Bearer {fake.token}":
                        status, answer = 401, {"message": "unauthorized"}
                    else:
                        with fake._lock:
                            status, answer = fake.route(self.command, path, body)
                except (BadRequest, json.JSONDecodeError) as error:
                    status, answer = 400, {"message": str(error)}
                fake.calls.append(Call(self.command, path, status, body))
                payload = json.dumps(answer if answer is not None else {"message": "not found"})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
