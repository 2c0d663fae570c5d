# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudReactor's API for Run Environments: find one by name, read it, set its network.

The network of a Run Environment is ``infrastructure_settings.AWS.__default__.settings.network``. A PATCH of
``infrastructure_settings`` replaces the stored settings dictionary whole, so the only safe update is read, merge
locally, send everything back. CloudReactor never returns ``secret_key``: on a Run Environment that uses AWS access
keys that round trip would erase the secret key, so it is refused.

The API key travels only in the ``Authorization`` header; no message, exception or result built here contains it.
"""

import json
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.urls import open_url

from ansible_collections.cloudreactor.aws.plugins.module_utils.errors import InvalidInput, NetworkError

DEFAULT_BASE_URL = "https://api.cloudreactor.io"
DASHBOARD_URL = "https://dash.cloudreactor.io/run_environments/{uuid}"
NETWORK_FIELDS = ("subnets", "security_groups", "assign_public_ip")
_DEVELOPER_HINT = "changing a Run Environment needs an API key with the Developer access level (500) or higher"


def normalize_base_url(url):
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("api_base_url", f"{url!r} is not an http(s) URL")
    return url


class CloudReactorClient:
    def __init__(self, base_url, api_key, *, timeout=30, validate_certs=True):
        if not api_key:
            raise InvalidInput("api_key", "no CloudReactor API key: set api_key or CLOUDREACTOR_DEPLOY_API_KEY")
        self.base_url = normalize_base_url(base_url)
        self._origin = urlsplit(self.base_url)[:2]
        self._api_key = api_key
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.calls = []  # (method, path) of every request, for tests and debugging

    def _request(self, method, url, body=None, *, what):
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
        except HTTPError as error:
            raise self._http_error(error, what) from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NetworkError(f"cannot reach CloudReactor at {self.base_url} ({what}): {reason}") from None
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            raise NetworkError(f"CloudReactor at {self.base_url} did not answer JSON ({what})") from None

    def _http_error(self, error, what):
        status = error.code
        try:
            detail = error.read().decode("utf-8", "replace")[:500]
        except Exception:  # pylint: disable=broad-exception-caught
            detail = ""
        if status == 401:
            return NetworkError(
                f"CloudReactor rejected the API key (HTTP 401) while trying to {what}: check api_key / "
                f"CLOUDREACTOR_DEPLOY_API_KEY and api_base_url ({self.base_url})",
                status=status,
            )
        if status == 403:
            return NetworkError(
                f"CloudReactor refused to {what} (HTTP 403): {_DEVELOPER_HINT}", status=status, response=detail
            )
        if status == 404:
            return NetworkError(f"CloudReactor found nothing to {what} (HTTP 404)", status=status)
        return NetworkError(f"CloudReactor could not {what} (HTTP {status}): {detail}", status=status)

    def find_run_environments(self, name):
        """Every Run Environment named exactly ``name`` (follows pagination)."""
        url = f"{self.base_url}/api/v1/run_environments/?{urlencode({'name': name})}"
        found = []
        while url:
            page = self._request("GET", url, what=f"list the Run Environments named {name!r}") or {}
            found.extend(item for item in page.get("results", []) if item.get("name") == name)
            url = page.get("next")
        return found

    def get_run_environment(self, uuid):
        return self._request("GET", self._detail_url(uuid), what=f"read Run Environment {uuid}")

    def patch_run_environment(self, uuid, body):
        return self._request("PATCH", self._detail_url(uuid), body, what=f"update Run Environment {uuid}")

    def _detail_url(self, uuid):
        return f"{self.base_url}/api/v1/run_environments/{uuid}/"

    def dashboard_url(self, uuid):
        return DASHBOARD_URL.format(uuid=uuid) if self.base_url == DEFAULT_BASE_URL else None


def find_one(client, name=None, uuid=None):
    """The Run Environment ``uuid``, or the single one named ``name``."""
    if uuid:
        return client.get_run_environment(uuid)
    matches = client.find_run_environments(name)
    if not matches:
        raise NetworkError(f"no Run Environment is named {name!r} (names are exact and case-sensitive)", name=name)
    if len(matches) > 1:
        listed = ", ".join(f"{item.get('uuid')} (group {_group_of(item)})" for item in matches)
        raise NetworkError(
            f"{len(matches)} Run Environments are named {name!r}: {listed}; give uuid instead of name", name=name
        )
    return client.get_run_environment(matches[0]["uuid"])


def _group_of(item):
    group = item.get("created_by_group") or {}
    return group.get("name") or group.get("id") if isinstance(group, dict) else group


def aws_settings(run_environment):
    """``infrastructure_settings.AWS.__default__.settings`` (a copy), refusing a reply that hides it."""
    if "infrastructure_settings" not in run_environment:
        raise NetworkError(
            f"CloudReactor does not show the infrastructure settings of Run Environment "
            f"{run_environment.get('name')!r} to this API key: {_DEVELOPER_HINT}"
        )
    infrastructure = run_environment.get("infrastructure_settings") or {}
    return json.loads(json.dumps(((infrastructure.get("AWS") or {}).get("__default__") or {}).get("settings") or {}))


def current_network(run_environment):
    return aws_settings(run_environment).get("network") or {}


def same_value(current, wanted):
    if isinstance(wanted, list):
        return isinstance(current, list) and sorted(current) == sorted(wanted)
    return current == wanted


def plan_update(run_environment, wanted):
    """``(before, after, body)``: the network now, the network after, and the PATCH body (``None`` when nothing
    changes). ``body`` carries the whole ``infrastructure_settings`` read, with the network merged in."""
    settings = aws_settings(run_environment)
    before = settings.get("network") or {}
    changes = {field: value for field, value in wanted.items() if not same_value(before.get(field), value)}
    after = dict(before, **changes)
    if not changes:
        return before, after, None
    if settings.get("access_key"):
        raise NetworkError(
            f"Run Environment {run_environment.get('name')!r} authenticates to AWS with an access key. CloudReactor "
            "never returns its secret key, and a change of the network sends back the whole AWS settings, which "
            "would erase the secret key. Change the network in the CloudReactor dashboard, or switch the Run "
            "Environment to an assumed role first.",
            changed=False,
        )
    infrastructure = json.loads(json.dumps(run_environment.get("infrastructure_settings") or {}))
    aws = infrastructure.setdefault("AWS", {}) or {}
    infrastructure["AWS"] = aws
    default = aws.setdefault("__default__", {}) or {}
    aws["__default__"] = default
    settings["network"] = after
    default["settings"] = settings
    return before, after, {"infrastructure_settings": infrastructure}


def summary(client, run_environment, network):
    uuid = run_environment.get("uuid")
    return dict(
        uuid=uuid,
        name=run_environment.get("name"),
        dashboard_url=client.dashboard_url(uuid),
        network=network,
    )
