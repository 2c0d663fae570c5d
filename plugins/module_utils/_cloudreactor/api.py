# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudReactor's API for Run Environments: find one by name, read it, set its network.

The network of a Run Environment is ``infrastructure_settings.AWS.__default__.settings.network``. What the server
does, and why this code does what it does:

- A PATCH of ``infrastructure_settings`` replaces the stored AWS settings whole (no deep merge), so the only safe
  update is read, merge locally, send everything back.
- The server never returns ``secret_key``. On a Run Environment that authenticates with an AWS access key, that round
  trip would erase the secret key - as the dashboard's own form does - unless the same PATCH sends the secret key
  again. So it is refused unless the caller gives the secret key.
- The server keeps no version (no ETag): an edit saved by someone else between our read and our write is
  overwritten. Reading again right after the write finds an edit saved just after it (ours was then lost).
- The server normalises the settings on every save (known keys only, ``null`` where unset, derived console URLs)
  and does not validate subnet or security group ids: the caller's validation is the only guard.
- Throttled requests (429) are not processed; they are retried after the server's ``Retry-After``, a bounded number
  of times.

The API key travels only in the ``Authorization`` header; no message, exception or result built here contains it,
nor the AWS secret key.
"""

from __future__ import annotations

import dataclasses
import json
import time
import typing
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.urls import open_url

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

DEFAULT_BASE_URL = "https://api.cloudreactor.io"
DASHBOARD_URL = "https://dash.cloudreactor.io/run_environments/{uuid}"
NETWORK_FIELDS = ("subnets", "security_groups", "assign_public_ip")
# The console links the server derives from a network field on every save.
DERIVED_NETWORK_FIELDS = {
    "subnets": "subnet_infrastructure_website_urls",
    "security_groups": "security_group_infrastructure_website_urls",
}
_DERIVED_SUFFIXES = ("_infrastructure_website_url", "_infrastructure_website_urls")
DEFAULT_THROTTLE_RETRIES = 5
# Without a Retry-After, wait 1, 2, 4... seconds; never more than MAX_THROTTLE_WAIT per wait, whatever the server asks.
THROTTLE_FIRST_WAIT = 1.0
MAX_THROTTLE_WAIT = 60.0
_DEVELOPER_HINT = "changing a Run Environment needs an API key with the Developer access level (500) or higher"
_NOT_VISIBLE = (
    "an API key sees only the Run Environments of its own group, and a key scoped to one Run Environment sees "
    "only that one"
)


def normalize_base_url(url: str | None) -> str:
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("api_base_url", f"{url!r} is not an http(s) URL")
    return url


@dataclasses.dataclass(frozen=True)
class Throttling:
    """How a throttled request is sent again: at most ``retries`` times, after ``sleep``-ing the server's
    ``Retry-After`` (or 1, 2, 4... seconds), never more than :data:`MAX_THROTTLE_WAIT` at a time."""

    retries: int = DEFAULT_THROTTLE_RETRIES
    sleep: Callable[[float], None] = time.sleep


class CloudReactorClient:
    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        *,
        timeout: float = 30,
        validate_certs: bool = True,
        throttling: Throttling | None = None,
    ) -> None:
        if not api_key:
            raise InvalidInput("api_key", "no CloudReactor API key: set api_key or CLOUDREACTOR_DEPLOY_API_KEY")
        self.base_url = normalize_base_url(base_url)
        self._origin = urlsplit(self.base_url)[:2]
        self._api_key = api_key
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.throttling = throttling or Throttling()
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request, for tests and debugging

    def _request(self, method: str, url: str, body: object = None, *, what: str) -> Any:
        """The decoded JSON answer; a throttled request is sent again after the wait the server asks for."""
        attempt, waited = 0, 0.0
        while True:
            try:
                return self._send(method, url, body, what=what)
            except HTTPError as error:
                if error.code != 429:
                    raise self._http_error(error, what) from None
                if attempt == self.throttling.retries:
                    raise NetworkError(
                        f"CloudReactor throttled the requests to {what} (HTTP 429: too many requests with this API "
                        f"key): still throttled after {attempt + 1} attempts and {waited:g} s of waiting; run again "
                        "later, or run fewer CloudReactor tasks at once",
                        status=429,
                    ) from None
                retry_after = _seconds(error.headers.get("Retry-After"))
                wait = retry_after if retry_after is not None else THROTTLE_FIRST_WAIT * 2**attempt
                wait = min(wait, MAX_THROTTLE_WAIT)
                self.throttling.sleep(wait)
                attempt, waited = attempt + 1, waited + wait

    def _send(self, method: str, url: str, body: object, *, what: str) -> Any:
        parts = urlsplit(url)
        if parts[:2] != self._origin:  # the key goes to the configured server only, never where a link points
            raise NetworkError(f"CloudReactor answered with a link to another server ({parts.netloc}); not following")
        self.calls.append((method, parts.path))
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = open_url(
                url,
                data=data,
                method=method,
                headers=headers,
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                follow_redirects="none",
                http_agent="cloudreactor.aws",
            )
            payload = response.read()
        except HTTPError:
            raise  # an answer with an error status, for _request; not an unreachable server (HTTPError is a URLError)
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NetworkError(f"cannot reach CloudReactor at {self.base_url} ({what}): {reason}") from None
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            raise NetworkError(f"CloudReactor at {self.base_url} did not answer JSON ({what})") from None

    def _http_error(self, error: HTTPError, what: str) -> NetworkError:
        status = error.code
        cause = _error_cause(error)
        if status == 401:
            return NetworkError(
                f"CloudReactor rejected the API key (HTTP 401) while trying to {what}: check api_key / "
                f"CLOUDREACTOR_DEPLOY_API_KEY and api_base_url ({self.base_url})",
                status=status,
            )
        if status == 403 and "deactivated" in cause.lower():
            return NetworkError(
                f"CloudReactor refused to {what} (HTTP 403: {cause}): the API key is deactivated; enable it again in "
                "the CloudReactor dashboard, or use another Deployment API key",
                status=status,
            )
        if status == 403:
            return NetworkError(f"CloudReactor refused to {what} (HTTP 403: {cause}): {_DEVELOPER_HINT}", status=status)
        if status == 404:
            return NetworkError(
                f"CloudReactor found nothing to {what} (HTTP 404): no such Run Environment is visible to this API "
                f"key - it does not exist, or {_NOT_VISIBLE}",
                status=status,
            )
        return NetworkError(f"CloudReactor could not {what} (HTTP {status}: {cause})", status=status)

    def find_run_environments(self, name: str | None) -> list[dict[str, Any]]:
        """Every Run Environment named exactly ``name`` that this key can see (follows pagination)."""
        url = f"{self.base_url}/api/v1/run_environments/?{urlencode({'name': name})}"
        found: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            page = self._request("GET", next_url, what=f"list the Run Environments named {name!r}") or {}
            # DRF ignores a query parameter it does not know: match the name here too.
            found.extend(item for item in page.get("results", []) if item.get("name") == name)
            next_url = page.get("next")
        return found

    def get_run_environment(self, uuid: str) -> Any:
        return self._request("GET", self._detail_url(uuid), what=f"read Run Environment {uuid}")

    def patch_run_environment(self, uuid: str, body: Mapping[str, Any]) -> Any:
        return self._request("PATCH", self._detail_url(uuid), body, what=f"update Run Environment {uuid}")

    def _detail_url(self, uuid: str) -> str:
        return f"{self.base_url}/api/v1/run_environments/{uuid}/"

    def dashboard_url(self, uuid: str | None) -> str | None:
        return DASHBOARD_URL.format(uuid=uuid) if self.base_url == DEFAULT_BASE_URL else None


def _seconds(header: str | None) -> float | None:
    try:
        return max(float(header), 0.0) if header is not None else None
    except ValueError:
        return None


def _error_cause(error: HTTPError) -> str:
    """What the server said went wrong: ``<error_class>: <error_message>`` of its error body, else the raw body."""
    try:
        raw = error.read().decode("utf-8", "replace")[:500]
    except Exception:  # pylint: disable=broad-exception-caught
        return "no details"
    try:
        body = json.loads(raw)
    except ValueError:
        return raw or "no details"
    if not isinstance(body, dict):
        return raw
    message = body.get("error_message") or body.get("detail") or raw
    return f"{body['error_class']}: {message}" if body.get("error_class") else message


def find_one(client: CloudReactorClient, name: str | None = None, uuid: str | None = None) -> Any:
    """The Run Environment ``uuid``, or the one named ``name`` (names are unique within the key's group)."""
    if uuid:
        return client.get_run_environment(uuid)
    matches = client.find_run_environments(name)
    if not matches:
        raise NetworkError(
            f"no Run Environment named {name!r} is visible to this API key (names are exact and case-sensitive; "
            f"{_NOT_VISIBLE})",
            name=name,
        )
    return client.get_run_environment(matches[0]["uuid"])


def aws_settings(run_environment: Mapping[str, Any]) -> dict[str, Any]:
    """``infrastructure_settings.AWS.__default__.settings`` (a copy), refusing a reply that hides it."""
    if "infrastructure_settings" not in run_environment:
        raise NetworkError(
            f"CloudReactor does not show the infrastructure settings of Run Environment "
            f"{run_environment.get('name')!r} to this API key: {_DEVELOPER_HINT}"
        )
    infrastructure = run_environment.get("infrastructure_settings") or {}
    settings = ((infrastructure.get("AWS") or {}).get("__default__") or {}).get("settings") or {}
    copied: dict[str, Any] = json.loads(json.dumps(settings))
    return copied


def current_network(run_environment: Mapping[str, Any]) -> dict[str, Any]:
    return aws_settings(run_environment).get("network") or {}


def same_value(current: object, wanted: object) -> bool:
    if isinstance(wanted, list):
        return isinstance(current, list) and sorted(current) == sorted(wanted)
    return current == wanted


def plan_update(
    run_environment: Mapping[str, Any], wanted: Mapping[str, Any], aws_secret_key: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """``(before, after, body)``: the network now, the network after, and the PATCH body (``None`` when nothing
    changes). ``body`` carries the AWS settings read, with the network merged in and, for a Run Environment that
    uses an access key, ``aws_secret_key`` as its ``secret_key``."""
    settings = aws_settings(run_environment)
    name = run_environment.get("name")
    uses_access_key = bool(settings.get("access_key"))
    if aws_secret_key is not None and not uses_access_key:
        raise InvalidInput(
            "aws_secret_key",
            f"Run Environment {name!r} does not authenticate to AWS with an access key; leave aws_secret_key out",
        )
    before = settings.get("network") or {}
    changes = {field: value for field, value in wanted.items() if not same_value(before.get(field), value)}
    if not changes:
        return before, before, None
    if uses_access_key and aws_secret_key is None:
        raise NetworkError(
            f"Run Environment {name!r} authenticates to AWS with an access key. CloudReactor never returns its "
            "secret key and replaces the whole AWS settings on every update, so an update that does not send the "
            "secret key again erases it - whether it comes from this module or from the CloudReactor dashboard's "
            "form. Either give the secret key in aws_secret_key (sent in the same update, never logged), or move "
            "the Run Environment to an assumed IAM role (events_role_arn and assumed_role_external_id) first.",
            changed=False,
        )
    after = dict(before, **changes)
    for field in changes:  # the server derives these from the new value on save
        after.pop(DERIVED_NETWORK_FIELDS.get(field), None)
    settings["network"] = after
    if uses_access_key:
        settings["secret_key"] = aws_secret_key
    return before, after, {"infrastructure_settings": {"AWS": {"__default__": {"settings": settings}}}}


def differences(written: Mapping[str, Any], now: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """``[{key, written, now}]`` for every dotted key whose value differs between two settings mappings. The console
    links the server derives (``*_infrastructure_website_url(s)``) are left out: they repeat the change they follow."""
    found: list[dict[str, Any]] = []
    for key in sorted(set(written) | set(now)):
        if key.endswith(_DERIVED_SUFFIXES):
            continue
        dotted = f"{prefix}{key}"
        old, new = written.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            found.extend(differences(old, new, f"{dotted}."))
        elif old != new:
            found.append({"key": dotted, "written": old, "now": new})
    return found


def summary(client: CloudReactorClient, run_environment: Mapping[str, Any], network: object) -> dict[str, Any]:
    uuid = run_environment.get("uuid")
    return dict(
        uuid=uuid,
        name=run_environment.get("name"),
        dashboard_url=client.dashboard_url(uuid),
        network=network,
    )
