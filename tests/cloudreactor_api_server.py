"""A small CloudReactor API for tests: Run Environments with the semantics our module depends on.

- ``GET /api/v1/run_environments/?name=<exact>`` with limit/offset pagination (``next`` is an absolute URL),
  ``GET | PATCH /api/v1/run_environments/<uuid>/``;
- ``Authorization: Bearer <key>`` (``Token <key>`` too); unknown key → 401; access levels: below Developer (500)
  reads omit ``infrastructure_settings`` and ``execution_method_settings`` and PATCH → 403;
- PATCH of ``infrastructure_settings`` **replaces** each sent ``<provider>.<label>.settings`` whole; only the
  ``__default__`` label is accepted; subnet / security group ids are validated (400);
- ``secret_key`` is write-only: stored, never returned, erased by a PATCH that does not send it.

Threaded ``http.server`` on 127.0.0.1, a free port; the ``cloudreactor`` fixture starts and stops one per test.
"""

import copy
import json
import re
import threading
import uuid as uuid_module
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

LEVELS = {"observer": 1, "task": 50, "support": 100, "developer": 500, "admin": 1000}
DEVELOPER = LEVELS["developer"]
_ID = {
    "subnets": re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "security_groups": re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
}
_PREFIX = "/api/v1/run_environments/"


class FakeCloudReactor:
    def __init__(self, page_size=50):
        self.page_size = page_size
        self.ignore_name_filter = False  # answer every Run Environment, as a server without the filter would
        self.keys = {}
        self.patch_forbidden = set()  # keys that may read settings but get 403 on PATCH (another group's RE...)
        self.run_environments = {}
        self.requests = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- set-up ----------------------------------------------------------------------------------------------------

    def add_key(self, key, level="developer"):
        self.keys[key] = LEVELS[level]
        return key

    def add_run_environment(self, name, *, network=None, settings=None, group_id=1):
        """A Run Environment with AWS settings (``settings`` extra keys, e.g. access_key/secret_key) and ECS
        execution settings; returns its UUID."""
        uuid = str(uuid_module.uuid4())
        aws = {
            "account_id": "123456789012",
            "region": "us-west-2",
            "events_role_arn": "arn:aws:iam::123456789012:role/cloudreactor-events",
            "assumed_role_external_id": "external-id-1",
            "tags": {"team": "data"},
            "network": copy.deepcopy(network) if network is not None else {"region": "us-west-2"},
        }
        aws.update(settings or {})
        self.run_environments[uuid] = {
            "uuid": uuid,
            "name": name,
            "description": f"{name} environment",
            "created_by_group": {"id": group_id, "name": f"group {group_id}"},
            "infrastructure_settings": {"AWS": {"__default__": {"settings": aws}}},
            "execution_method_settings": {
                "AWS ECS": {
                    "__default__": {
                        "infrastructure_name": "__default__",
                        "settings": {
                            "launch_type": "FARGATE",
                            "supported_launch_types": ["FARGATE"],
                            "cluster_arn": "arn:aws:ecs:us-west-2:123456789012:cluster/tasks",
                            "execution_role_arn": "arn:aws:iam::123456789012:role/task-execution",
                        },
                    }
                }
            },
        }
        return uuid

    def stored(self, uuid):
        """Everything stored, the secret key included."""
        with self.lock:
            return copy.deepcopy(self.run_environments[uuid])

    def count(self, method, path_prefix=_PREFIX):
        return sum(1 for m, path, _query in self.requests if m == method and path.startswith(path_prefix))

    # -- server ----------------------------------------------------------------------------------------------------

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - quiet
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_PATCH(self):
                fake._handle(self, "PATCH")

            def do_PUT(self):
                fake._handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # -- API -------------------------------------------------------------------------------------------------------

    def _handle(self, handler, method):  # noqa: PLR0911 - one return per HTTP answer
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        self.requests.append((method, parts.path, query))
        key = self._key(handler.headers.get("Authorization", ""))
        level = self.keys.get(key)
        if level is None:
            return self._reply(handler, 401, {"detail": "Invalid token."})
        if not parts.path.startswith(_PREFIX):
            return self._reply(handler, 404, {"detail": "Not found."})
        rest = parts.path[len(_PREFIX) :].strip("/")
        with self.lock:
            if not rest and method == "GET":
                return self._reply(handler, 200, self._list(query, level))
            record = self.run_environments.get(rest)
            if record is None:
                return self._reply(handler, 404, {"detail": "Not found."})
            if method == "GET":
                return self._reply(handler, 200, self._public(record, level))
            if method != "PATCH":
                return self._reply(handler, 405, {"detail": f'Method "{method}" not allowed.'})
            if level < DEVELOPER or key in self.patch_forbidden:
                return self._reply(handler, 403, {"detail": "You do not have permission to perform this action."})
            length = int(handler.headers.get("Content-Length") or 0)
            try:
                body = json.loads(handler.rfile.read(length) or b"{}")
            except ValueError:
                return self._reply(handler, 400, {"detail": "JSON parse error"})
            errors = self._patch(record, body)
            if errors:
                return self._reply(handler, 400, errors)
            return self._reply(handler, 200, self._public(record, level))

    @staticmethod
    def _key(header):
        scheme, _space, key = header.partition(" ")
        return key.strip() if scheme in ("Bearer", "Token") else None

    @staticmethod
    def _reply(handler, status, body):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _list(self, query, level):
        items = list(self.run_environments.values())
        if "name" in query and not self.ignore_name_filter:
            items = [item for item in items if item["name"] == query["name"][0]]
        if "created_by_group__id" in query:
            items = [item for item in items if str(item["created_by_group"]["id"]) == query["created_by_group__id"][0]]
        limit = min(int(query.get("limit", [self.page_size])[0]), self.page_size)
        offset = int(query.get("offset", ["0"])[0])
        page = items[offset : offset + limit]

        def link(new_offset):
            params = {key: values[0] for key, values in query.items()}
            params.update(limit=limit, offset=new_offset)
            return f"{self.url}{_PREFIX}?{urlencode(params)}"

        return {
            "count": len(items),
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "previous": link(max(offset - limit, 0)) if offset > 0 else None,
            "results": [self._public(item, level) for item in page],
        }

    @staticmethod
    def _public(record, level):
        view = copy.deepcopy(record)
        if level < DEVELOPER:
            view.pop("infrastructure_settings", None)
            view.pop("execution_method_settings", None)
            return view
        for provider in view.get("infrastructure_settings", {}).values():
            for label in provider.values():
                (label.get("settings") or {}).pop("secret_key", None)
        return view

    @staticmethod
    def _patch(record, body):
        for field in ("name", "description"):
            if field in body:
                record[field] = body[field]
        infrastructure = body.get("infrastructure_settings")
        if infrastructure is None:
            return None
        for labels in infrastructure.values():
            for label, value in (labels or {}).items():
                if label != "__default__":
                    return {"infrastructure_settings": [f"Only the __default__ label is supported, not {label}"]}
                network = ((value or {}).get("settings") or {}).get("network") or {}
                for field, pattern in _ID.items():
                    for item in network.get(field) or []:
                        if not pattern.match(str(item)):
                            return {"infrastructure_settings": [f"{item} is not a valid {field} id"]}
        for provider, labels in infrastructure.items():
            stored = record.setdefault("infrastructure_settings", {}).setdefault(provider, {})
            for label, value in labels.items():
                stored[label] = copy.deepcopy(value)  # replaces: no merge with what was stored
        return None


@pytest.fixture
def cloudreactor():
    """A running fake CloudReactor API with a Developer key ``developer-key``; stopped after the test."""
    fake = FakeCloudReactor().start()
    fake.add_key("developer-key", "developer")
    try:
        yield fake
    finally:
        fake.stop()
