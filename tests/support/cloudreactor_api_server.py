"""A small CloudReactor API for tests, as strict as CloudReactor's server (task_manager) where our module depends on it.

What the server does, and this fake too:

- ``GET /api/v1/run_environments/?name=<exact>`` with limit/offset pagination (``next`` is an absolute URL), scoped
  to the API key's group (and to its one Run Environment when the key is scoped to one); a ``created_by_group__id``
  other than the key's group → 422. ``GET | PATCH /api/v1/run_environments/<uuid>/``; a Run Environment the key
  cannot see (another group's, or not the one the key is scoped to) → 404, never 403.
- ``Authorization: Bearer <key>`` (``Token <key>`` too): unknown key → 401, deactivated key → 403. Below Developer
  (500) reads omit ``infrastructure_settings`` and ``execution_method_settings`` and PATCH → 403.
- Names are unique within a group (several groups may each have a ``staging``).
- PATCH of ``infrastructure_settings`` **replaces** ``AWS.__default__.settings`` whole; only the ``__default__``
  label is accepted (400); a ``created_by_group`` other than the key's → 422. Subnet and security group ids are
  **not** validated: only the dashboard checks them.
- Every save normalises the AWS settings as the server's settings model does: every known key comes back, ``null``
  where unset; unknown keys (``vpc_id`` in ``network``, ``assign_public_ip`` outside it) are dropped; the derived
  ``*_infrastructure_website_url(s)`` fields are recomputed. With no AWS settings stored, ``infrastructure_settings``
  is ``{}``.
- ``secret_key`` is write-only: stored, never returned, erased by a save that does not send it.
- Errors carry ``detail``, ``error_code`` (when the server has one), ``error_class`` and ``error_message``; a throttled
  request → 429 with ``Retry-After``, and is not processed.

Threaded ``http.server`` on 127.0.0.1, a free port; the ``cloudreactor`` fixture starts and stops one per test.
"""

import copy
import json
import threading
import uuid as uuid_module
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

LEVELS = {"observer": 1, "task": 50, "support": 100, "developer": 500, "admin": 1000}
DEVELOPER = LEVELS["developer"]
_PREFIX = "/api/v1/run_environments/"

# The keys of the server's AWS settings models, each ``None`` unless set. Nested models are normalised in turn.
_NETWORK_KEYS = (
    "region",
    "availability_zone",
    "subnets",
    "subnet_infrastructure_website_urls",
    "security_groups",
    "security_group_infrastructure_website_urls",
    "assign_public_ip",
    "networks",
)
_NETWORK_INTERFACE_KEYS = (
    "network_mode",
    "ip_v4_subnet_cidr_block",
    "dns_servers",
    "dns_search_list",
    "private_dns_name",
    "subnet_gateway_ip_v4_address",
    "ip_v4_addresses",
    "mac_address",
)
_LOG_OPTION_KEYS = (
    "region",
    "group",
    "create_group",
    "stream_prefix",
    "stream",
    "datetime_format",
    "multiline_pattern",
    "mode",
    "max_buffer_size",
    "stream_infrastructure_website_url",
)
_AWS_KEYS = (
    "account_id",
    "region",
    "access_key",
    "secret_key",
    "events_role_arn",
    "events_role_infrastructure_website_url",
    "assumed_role_external_id",
    "execution_role_arn",
    "execution_role_infrastructure_website_url",
    "workflow_starter_lambda_arn",
    "workflow_starter_lambda_infrastructure_website_url",
    "workflow_starter_access_key",
    "network",
    "logging",
    "xray",
    "tags",
)
SECRET_KEYS = ("secret_key",)


def _known(value, keys):
    value = value or {}
    return {key: copy.deepcopy(value.get(key)) for key in keys}


def _console(region, fragment):
    return f"https://{region}.console.aws.amazon.com/vpc/home?region={quote(region)}#{fragment}"


def _role_url(arn):
    return f"https://console.aws.amazon.com/iam/home#/roles/{quote(arn.rsplit('/', 1)[-1])}" if arn else None


def _lambda_url(arn):
    parts = (arn or "").split(":")
    if len(parts) < 7 or parts[:3] != ["arn", "aws", "lambda"] or parts[5] != "function":
        return None
    return f"https://{parts[3]}.console.aws.amazon.com/lambda/home?region={parts[3]}#/functions/{parts[6]}"


def normalised_aws_settings(sent):
    """The AWS settings as the server stores them after a save (see the module docstring)."""
    settings = _known(sent, _AWS_KEYS)
    settings["events_role_infrastructure_website_url"] = _role_url(settings["events_role_arn"])
    settings["execution_role_infrastructure_website_url"] = _role_url(settings["execution_role_arn"])
    settings["workflow_starter_lambda_infrastructure_website_url"] = _lambda_url(
        settings["workflow_starter_lambda_arn"]
    )
    if settings["network"] is not None:
        network = _known(settings["network"], _NETWORK_KEYS)
        if network["networks"] is not None:
            network["networks"] = [_known(item, _NETWORK_INTERFACE_KEYS) for item in network["networks"]]
        region = network["region"] or settings["region"]
        for ids, urls, fragment in (
            ("subnets", "subnet_infrastructure_website_urls", "SubnetDetails:subnetId="),
            ("security_groups", "security_group_infrastructure_website_urls", "SecurityGroup:groupId="),
        ):
            present = region and network[ids] is not None
            network[urls] = [_console(region, fragment + quote(item)) for item in network[ids]] if present else None
        settings["network"] = network
    if settings["logging"] is not None:
        logging = _known(settings["logging"], ("driver", "options", "infrastructure_website_url"))
        if logging["options"] is not None:
            logging["options"] = _known(logging["options"], _LOG_OPTION_KEYS)
        settings["logging"] = logging
    if settings["xray"] is not None:
        settings["xray"] = _known(settings["xray"], ("trace_id", "context_missing"))
    return settings


@dataclass
class ApiKey:
    level: int
    group_id: int
    run_environment: str | None = None  # the UUID of the one Run Environment a scoped key may use
    enabled: bool = True


class FakeCloudReactor:
    def __init__(self, page_size=50):
        self.page_size = page_size
        self.ignore_name_filter = False  # a server that ignores the filter, as DRF does with unknown parameters
        self.keys = {}
        self.run_environments = {}
        self.requests = []
        self.throttled = 0  # how many of the next requests answer 429
        self.retry_after = 0  # their Retry-After, seconds (None: no header)
        self._edits_after_patch = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- set-up ----------------------------------------------------------------------------------------------------

    def add_key(self, key, level="developer", *, group_id=1, run_environment=None):
        self.keys[key] = ApiKey(LEVELS[level], group_id, run_environment)
        return key

    def deactivate_key(self, key):
        self.keys[key].enabled = False

    def throttle(self, requests, retry_after=0):
        """Answer the next ``requests`` requests with 429 (``retry_after`` seconds in Retry-After, or no header)."""
        self.throttled = requests
        self.retry_after = retry_after

    def edit_after_next_patch(self, edit):
        """Run ``edit(aws_settings)`` right after the next PATCH is answered: another editor saving just after us."""
        self._edits_after_patch.append(edit)

    def add_run_environment(self, name, *, network=None, settings=None, group_id=1, aws=True):
        """A Run Environment with AWS settings (``settings``: extra keys, e.g. access_key/secret_key; none at all
        with ``aws=False``) and ECS execution settings; returns its UUID. Names are unique within a group."""
        if any(item["name"] == name and item["created_by_group"]["id"] == group_id for item in self._all()):
            raise ValueError(f"group {group_id} already has a Run Environment named {name!r}")
        uuid = str(uuid_module.uuid4())
        aws_settings = {
            "account_id": "123456789012",
            "region": "us-west-2",
            "events_role_arn": "arn:aws:iam::123456789012:role/cloudreactor-events",
            "assumed_role_external_id": "external-id-1",
            "tags": {"team": "data"},
            "network": copy.deepcopy(network) if network is not None else {"region": "us-west-2"},
        }
        aws_settings.update(settings or {})
        self.run_environments[uuid] = {
            "uuid": uuid,
            "name": name,
            "description": f"{name} environment",
            "created_by_group": {"id": group_id, "name": f"group {group_id}"},
            "infrastructure_settings": (
                {"AWS": {"__default__": {"settings": normalised_aws_settings(aws_settings)}}} if aws else {}
            ),
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

    def _all(self):
        return list(self.run_environments.values())

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

    def _handle(self, handler, method):
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        self.requests.append((method, parts.path, query))
        length = int(handler.headers.get("Content-Length") or 0)
        data = handler.rfile.read(length) if length else b""
        with self.lock:
            status, body, headers = self._answer(method, parts.path, query, handler.headers, data)
            self._reply(handler, status, body, headers)
            if method == "PATCH" and status == 200 and self._edits_after_patch:
                self._run_edits_after_patch(parts.path[len(_PREFIX) :].strip("/"))

    def _answer(self, method, path, query, headers, data):  # noqa: PLR0911 - one return per HTTP answer
        """``(status, body, headers)``, checked in the server's order: throttling, authentication, visibility,
        permission, then the request itself."""
        if self.throttled:
            self.throttled -= 1
            wait = self.retry_after
            message = f"Request was throttled. Expected available in {wait or 1} seconds."
            return (
                429,
                error_body("Throttled", message, "throttled"),
                {"Retry-After": str(wait)} if wait is not None else {},
            )
        key = self.keys.get(self._key(headers.get("Authorization", "")))
        if key is None:
            return 401, error_body("AuthenticationFailed", "Invalid token.", "authentication_failed"), {}
        if not key.enabled:
            return 403, error_body("PermissionDenied", "Token is deactivated", "permission_denied"), {}
        rest = path[len(_PREFIX) :].strip("/") if path.startswith(_PREFIX) else None
        if rest == "" and method == "GET":
            return self._list(query, key)
        record = self.run_environments.get(rest)
        if record is None or not self._visible(record, key):
            return 404, error_body("NotFound", "Not found.", "not_found"), {}
        if method == "GET":
            return 200, self._public(record, key.level), {}
        if method != "PATCH":
            return 405, error_body("MethodNotAllowed", f'Method "{method}" not allowed.', "method_not_allowed"), {}
        if key.level < DEVELOPER:
            message = "You do not have permission to perform this action."
            return 403, error_body("PermissionDenied", message, "permission_denied"), {}
        try:
            body = json.loads(data or b"{}")
        except ValueError:
            return 400, error_body("ParseError", "JSON parse error", "parse_error"), {}
        status, error = self._patch(record, body, key)
        return status, error or self._public(record, key.level), {}

    def _run_edits_after_patch(self, uuid):
        settings = self.run_environments[uuid]["infrastructure_settings"]["AWS"]["__default__"]["settings"]
        for edit in self._edits_after_patch:
            edit(settings)
        self._edits_after_patch.clear()
        self.run_environments[uuid]["infrastructure_settings"]["AWS"]["__default__"]["settings"] = (
            normalised_aws_settings(settings)
        )

    @staticmethod
    def _key(header):
        scheme, _space, key = header.partition(" ")
        return key.strip() if scheme in ("Bearer", "Token") else None

    @staticmethod
    def _visible(record, key):
        if key.run_environment is not None:
            return record["uuid"] == key.run_environment
        return record["created_by_group"]["id"] == key.group_id

    @staticmethod
    def _reply(handler, status, body, headers):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _list(self, query, key):
        group = query.get("created_by_group__id", [str(key.group_id)])[0]
        if group != str(key.group_id):
            message = "Group ID does not match authenticated Group"
            return 422, error_body("UnprocessableEntity", message, "unprocessable_entity"), {}
        items = [item for item in self._all() if self._visible(item, key)]
        if "name" in query and not self.ignore_name_filter:
            items = [item for item in items if item["name"] == query["name"][0]]
        limit = min(int(query.get("limit", [self.page_size])[0]), self.page_size)
        offset = int(query.get("offset", ["0"])[0])
        page = items[offset : offset + limit]

        def link(new_offset):
            params = {name: values[0] for name, values in query.items()}
            params.update(limit=limit, offset=new_offset)
            return f"{self.url}{_PREFIX}?{urlencode(params)}"

        page_body = {
            "count": len(items),
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "previous": link(max(offset - limit, 0)) if offset > 0 else None,
            "results": [self._public(item, key.level) for item in page],
        }
        return 200, page_body, {}

    @staticmethod
    def _public(record, level):
        view = copy.deepcopy(record)
        if level < DEVELOPER:
            view.pop("infrastructure_settings", None)
            view.pop("execution_method_settings", None)
            return view
        for provider in view["infrastructure_settings"].values():
            for label in provider.values():
                for secret in SECRET_KEYS:
                    label["settings"].pop(secret, None)
        return view

    @staticmethod
    def _patch(record, body, key):
        """``(status, error body)`` of a PATCH; the record changes only when the status is 200."""
        group = body.get("created_by_group")
        if group is not None and group.get("id") != key.group_id:
            return 422, error_body(
                "UnprocessableEntity",
                "{'created_by_group': [ErrorDetail(string='Request body group does not match authenticated Group', "
                "code='invalid')]}",
                None,
                created_by_group=["Request body group does not match authenticated Group"],
            )
        aws = (body.get("infrastructure_settings") or {}).get("AWS") or {}
        for label in aws:
            if label != "__default__":
                message = "Non-default infrastructure settings not supported yet"
                return 400, error_body("ValidationError", message, None, infrastructure_settings=[message])
        sent = (aws.get("__default__") or {}).get("settings")
        if sent:
            record["infrastructure_settings"] = {"AWS": {"__default__": {"settings": normalised_aws_settings(sent)}}}
        elif sent is not None:  # empty settings: nothing stored (a label without settings is ignored)
            record["infrastructure_settings"] = {}
        return 200, None


def error_body(error_class, detail, code, **fields):
    """An error as the server's exception handler answers it: DRF's body plus the exception's class and message."""
    body = dict(fields) if fields else {"detail": detail}
    if code:
        body["error_code"] = code
    body["error_class"] = error_class
    body["error_message"] = detail
    return body


@pytest.fixture
def cloudreactor():
    """A running fake CloudReactor API with a Developer key ``developer-key`` of group 1; stopped after the test."""
    fake = FakeCloudReactor().start()
    fake.add_key("developer-key", "developer")
    try:
        yield fake
    finally:
        fake.stop()
