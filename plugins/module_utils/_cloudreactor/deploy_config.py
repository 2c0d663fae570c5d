# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudReactor deployer's ``deploy_config/vars``: schemas, key paths, precedence. The one place that knows them.

``deploy_config/vars/common.yml`` holds settings for every deployment environment, ``deploy_config/vars/<env>.yml``
those of one (often ansible-vault encrypted). A task's network (subnets, security groups, assign_public_ip) is
merged from up to nine levels, lowest first: the Run Environment, then eight key paths of those two files. Layers
merge like Ansible's ``combine(recursive=true)``: mappings key by key, lists replaced whole. Two kinds of null
differ, as they do in the deployer: a null the deployer hands to ``combine`` as a whole argument (a layer, or the
``aws`` / schema 3 ``ecs`` mapping of a layer) is dropped, so the levels below still apply; a null inside the
merged data (``network: null``, ``subnets: null``) replaces what is below and is sent to CloudReactor as null,
so the task falls back to the Run Environment when it runs.

When a value is decided also differs. Schema 4's deployer merges the Run Environment's AWS settings into every task
and sends them: a value set nowhere is the Run Environment's at deploy time, and only an explicit null falls back
when the task runs. Schema 3's Task template sends only what deploy_config sets, with ``project_aws.subnets`` and
``project_aws.security_groups`` as the fallback for values no level sets; the rest falls back at run time.

Tasks whose merged settings say ``deployed: false`` are neither registered in ECS nor synced to CloudReactor by
the deployer: their network is never used.

Schema 4 (``schema_version: 4`` in common.yml) keeps the network under ``aws.network``; the legacy schema 3 under
``ecs.task.network`` with other top-level names. Both files are Ansible vars files loaded common first: a top-level
key present in the environment file replaces the one of common.yml whole, which is how lookups here work too.
"""

from __future__ import annotations

import os
import re
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.yaml_roundtrip import (
    Document,
    dig,
    is_vault_text,
    read_text,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Protocol, TypeAlias

    # A key path in a vars file: ``("env_aws", "network")``.
    KeyPath: TypeAlias = tuple[str, ...]
    # ``{"level", "file", "key"}`` of where a value is set (with ``null_from`` and ``fixed_at`` once decided).
    Origin: TypeAlias = dict[str, Any]

    class Vault(Protocol):
        """What :class:`VarsFile` decrypts with (the action plugins' vault)."""

        def decrypt(self, text: str, relative: str) -> tuple[str, Any]: ...


FIELDS = ("subnets", "security_groups", "assign_public_ip")
COMMON, ENV = "common", "env"
_ENV, _TASK = "{env}", "{task}"  # placeholders in key paths

# Where a network can be, per schema, lowest precedence first: (level, key path). Level 1 is the Run Environment.
LEVELS = {
    4: (
        (2, ("project_aws", "network")),
        (3, ("env_aws", "network")),
        (4, ("project_task_config", "aws", "network")),
        (5, ("env_to_task_config", _ENV, "aws", "network")),
        (6, ("env_task_config", "aws", "network")),
        (7, ("project_task_name_to_config", _TASK, "aws", "network")),
        (8, ("env_to_task_name_to_config", _ENV, _TASK, "aws", "network")),
        (9, ("env_task_name_to_config", _TASK, "aws", "network")),
    ),
    3: (
        (2, ("project_aws", "ecs", "task", "network")),
        (4, ("default_task_config", "ecs", "task", "network")),
        (5, ("env_to_default_task_config", _ENV, "ecs", "task", "network")),
        (6, ("default_env_task_config", "ecs", "task", "network")),
        (7, ("task_name_to_config", _TASK, "ecs", "task", "network")),
        (8, ("env_to_task_name_to_config", _ENV, _TASK, "ecs", "task", "network")),
        (9, ("task_name_to_env_config", _TASK, "ecs", "task", "network")),
    ),
}

# How many leading keys of each level's path name the layer that is merged (the rest leads to the network inside
# it). A missing or null layer contributes nothing; so does a null ``aws`` (schema 3 ``ecs``) right under the layer,
# which the deployer hands to ``combine`` as an argument of its own. A null further in (``network: null``, schema
# 3 ``task: null``) replaces the network of the levels below.
_LAYER_DEPTH = {2: 1, 3: 1, 4: 1, 5: 2, 6: 1, 7: 2, 8: 3, 9: 2}
_COMBINE_ARGUMENTS = ("aws", "ecs")
# Levels whose layer is a whole task configuration (where ``deployed`` is set), not an AWS settings mapping.
_TASK_CONFIG_LEVELS = (4, 5, 6, 7, 8, 9)

# The task maps, in the order tasks are listed.
TASK_MAPS = {
    4: (("project_task_name_to_config",), ("env_to_task_name_to_config", _ENV), ("env_task_name_to_config",)),
    3: (("task_name_to_config",), ("env_to_task_name_to_config", _ENV), ("task_name_to_env_config",)),
}

RUN_ENVIRONMENT_KEYS = {
    4: (("env_cloudreactor", "run_environment"), ("project_cloudreactor", "run_environment")),
    3: (("cloudreactor", "run_environment"), ("default_cloudreactor", "run_environment")),
}
REGION_KEYS = {4: (("env_aws", "region"), ("project_aws", "region")), 3: (("project_aws", "region"),)}
# Schema 3's Task template falls back to these for subnets and security groups no level sets (reported as level 2).
SCHEMA3_FALLBACK = {"subnets": ("project_aws", "subnets"), "security_groups": ("project_aws", "security_groups")}
DEPLOY_TIME, RUN_TIME = "deploy", "run"

# Where deploy_config_network writes: the environment file, or the environment's entry in common.yml.
WRITE_PATHS = {
    4: {ENV: ("env_aws", "network"), COMMON: ("env_to_task_config", _ENV, "aws", "network")},
    3: {
        ENV: ("project_aws", "ecs", "task", "network"),
        COMMON: ("env_to_default_task_config", _ENV, "ecs", "task", "network"),
    },
}
# Schema 3 environment files without project_aws get the network in their environment-wide task settings.
SCHEMA3_ENV_FALLBACK = ("default_env_task_config", "ecs", "task", "network")
WRITE_LEVEL = {(4, ENV): 3, (4, COMMON): 5, (3, COMMON): 5}

# Top-level keys of schema 3 that the schema 4 deployer rejects.
LEGACY_KEYS = (
    "default_task_config",
    "task_name_to_config",
    "env_to_default_task_config",
    "default_env_task_config",
    "task_name_to_env_config",
    "cloudreactor",
    "default_cloudreactor",
    "default_build_options",
)

_STEM_DROP = re.compile(r"[^a-zA-Z0-9_-]")


def deploy_config_argument_spec() -> dict[str, dict[str, Any]]:
    """The options naming a deploy_config and its environment, documented by the doc fragment
    ``cloudreactor.aws.deploy_config``; a new dict per call, for the module to add its own options to."""
    return dict(
        deploy_config_dir=dict(type="path", required=True),
        deployment_environment=dict(type="str", required=True, aliases=["env"]),
        config_filename_stem=dict(type="str"),
    )


def file_stem(environment: str) -> str:
    """The environment file's stem, as the deployer derives it: the name without characters outside
    ``[a-zA-Z0-9_-]``."""
    return _STEM_DROP.sub("", environment)


def fill(path: KeyPath, environment: str, task: str = _TASK) -> KeyPath:
    return tuple(environment if key == _ENV else task if key == _TASK else key for key in path)


def dotted(path: Iterable[object]) -> str:
    return ".".join(str(key) for key in path)


class VaultUnreadable(NetworkError):
    """A vault-encrypted file that none of the vault secrets given decrypts (or no secret was given)."""


class VarsFile:
    """One vars file: where it is and whether it could be read (``plain``, ``decrypted``, ``encrypted``: vault
    that the vault secrets given do not open, ``missing``); ``document`` holds its plaintext when readable.

    ``vault`` decrypts: ``vault.decrypt(text, relative)`` returns the plaintext and an opaque value that the same
    object's ``encrypt`` takes back to encrypt the file again as it was (its vault id), or raises
    :class:`VaultUnreadable`. The action plugins give one built on ansible-core's vault and the play's secrets."""

    def __init__(self, path: str, relative: str, vault: Vault | None = None) -> None:
        self.path = path
        self.relative = relative
        self.encryption: Any = None
        self.encrypted = False
        self.document: Document | None = None
        self.reason: str | None = None
        if not os.path.isfile(path):
            self.status = "missing"
            return
        text = read_text(path)
        self.encrypted = is_vault_text(text)
        if self.encrypted:
            try:
                if vault is None:
                    raise VaultUnreadable(f"{relative} is vault-encrypted and nothing here can decrypt it", path=path)
                text, self.encryption = vault.decrypt(text, relative)
            except VaultUnreadable as error:
                self.status, self.reason = "encrypted", str(error)
                return
            self.status = "decrypted"
        else:
            self.status = "plain"
        self.document = Document(text, relative)
        if self.document.data is not None and not isinstance(self.document.data, dict):
            raise NetworkError(f"{relative}: must hold a mapping of variables", path=path)

    @property
    def readable(self) -> bool:
        return self.document is not None

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = (self.document.data or {}) if self.document else {}
        return data


class DeployConfig:
    """A project's deploy_config for one deployment environment."""

    def __init__(
        self, directory: str, environment: str, *, stem: str | None = None, vault: Vault | None = None
    ) -> None:
        self.directory = os.path.abspath(directory)
        self.environment = environment
        vars_dir = os.path.join(self.directory, "vars")
        common_path = os.path.join(vars_dir, "common.yml")
        if not os.path.isfile(common_path):
            hint = ""
            if os.path.isfile(os.path.join(self.directory, "deploy_config", "vars", "common.yml")):
                hint = f"; did you mean {os.path.join(self.directory, 'deploy_config')}?"
            raise InvalidInput("deploy_config_dir", f"{common_path} does not exist{hint}")
        self.stem = stem if stem is not None else file_stem(environment)
        if not self.stem or _STEM_DROP.search(self.stem):
            raise InvalidInput(
                "config_filename_stem" if stem is not None else "deployment_environment",
                f"{environment!r} gives no usable file name (letters, digits, '_' and '-' only)",
            )
        self.common = VarsFile(common_path, "vars/common.yml", vault)
        if not self.common.readable:
            raise NetworkError(self.common.reason or f"{common_path} does not exist", path=common_path)
        self.env = VarsFile(os.path.join(vars_dir, f"{self.stem}.yml"), f"vars/{self.stem}.yml", vault)
        self.schema_version = self._schema()

    def _schema(self) -> int:
        version = self.common.data.get("schema_version")
        if version is None:
            return 3
        if str(version).strip() == "4":
            return 4
        raise NetworkError(
            f"vars/common.yml: schema_version {version!r} is not supported (4, or none for the legacy schema 3)",
            path=self.common.path,
        )

    # -- lookups ---------------------------------------------------------------------------------------------------

    def top(self, key: str) -> tuple[VarsFile | None, Any]:
        """``(file, value)`` of a top-level variable: the environment file's replaces common.yml's."""
        if key in self.env.data:
            return self.env, self.env.data[key]
        if key in self.common.data:
            return self.common, self.common.data[key]
        return None, None

    def lookup(self, path: KeyPath) -> tuple[bool, Any, VarsFile | None]:
        """``(found, value, file)`` of a key path; ``file`` is None when not found."""
        source, value = self.top(path[0])
        if source is None:
            return False, None, None
        found, value = dig({path[0]: value}, path)
        return found, value, source

    def legacy_keys(self) -> list[str]:
        if self.schema_version != 4:
            return []
        return [
            f"{source.relative}: {key}"
            for source in (self.common, self.env)
            for key in LEGACY_KEYS
            if key in source.data
        ]

    def first_value(self, paths: Iterable[KeyPath], default: Any = None) -> Any:
        for path in paths:
            found, value, _source = self.lookup(path)
            if found and value not in (None, ""):
                return value
        return default

    def run_environment_name(self) -> Any:
        return self.first_value(RUN_ENVIRONMENT_KEYS[self.schema_version], self.environment)

    def region(self) -> Any:
        return self.first_value(REGION_KEYS[self.schema_version])

    def task_names(self) -> list[str]:
        names: list[str] = []
        for path in TASK_MAPS[self.schema_version]:
            found, mapping, _source = self.lookup(fill(path, self.environment))
            if found and isinstance(mapping, dict):
                names.extend(str(name) for name in mapping if str(name) not in names)
        return names

    def null_task_entry(self, task: str) -> str | None:
        """``"<file>: <key>"`` when the most specific task map listing ``task`` gives it ``null`` (every setting
        under it commented out), which the deployer's merge keeps and its sync then fails on; else None."""
        entry = None
        for template in TASK_MAPS[self.schema_version]:
            path = fill(template, self.environment)
            _found, mapping, source = self.lookup(path)
            if source is not None and isinstance(mapping, dict) and task in mapping:
                entry = None if mapping[task] is not None else f"{source.relative}: {dotted((*path, task))}"
        return entry

    # -- precedence ------------------------------------------------------------------------------------------------

    def layers(self, task: str) -> list[tuple[int, VarsFile, KeyPath, Any, dict[str, Any] | None]]:
        """``(level, file, key path, network, task_config)`` of every level that says something about ``task``,
        lowest first. ``network`` is a dict, None when the level nulls the whole network, or ``_ABSENT``;
        ``task_config`` is the level's whole task configuration (levels 4 to 9) or None."""
        found_layers = []
        for level, template in LEVELS[self.schema_version]:
            path = fill(template, self.environment, task)
            depth = _LAYER_DEPTH[level]
            _found, layer, source = self.lookup(path[:depth])
            if source is None or layer is None:
                continue
            if not isinstance(layer, dict):
                raise NetworkError(
                    f"{source.relative}: {dotted(path[:depth])} must be a mapping, not {type(layer).__name__}",
                    path=source.path,
                )
            dropped_through = depth + 1 if path[depth] in _COMBINE_ARGUMENTS else depth
            value: Any = layer
            for index in range(depth, len(path)):
                if value is None:
                    value = _ABSENT if index <= dropped_through else None
                    break
                if not isinstance(value, dict):
                    raise NetworkError(
                        f"{source.relative}: {dotted(path[:index])} must be a mapping, not {type(value).__name__}",
                        path=source.path,
                    )
                if path[index] not in value:
                    value = _ABSENT
                    break
                value = value[path[index]]
            if value is not _ABSENT and value is not None and not isinstance(value, dict):
                raise NetworkError(
                    f"{source.relative}: {dotted(path)} must be a mapping (subnets, security_groups, assign_public_ip)",
                    path=source.path,
                )
            task_config = layer if level in _TASK_CONFIG_LEVELS else None
            found_layers.append((level, source, path, value, task_config))
        return found_layers

    def resolve(self, task: str, run_environment_network: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Effective network of ``task``, for each value where it came from and when it is decided, and whether
        the deployer deploys the task."""
        state: dict[str, tuple[Any, Origin]] = {}
        deployed = None
        for level, source, path, network, task_config in self.layers(task):
            if task_config is not None:
                deployed = task_config.get("deployed", deployed)
            if network is _ABSENT:
                continue
            if network is None:
                for field in FIELDS:
                    state[field] = (_WIPED, _origin(level, source, path))
                continue
            for field in FIELDS:
                if field in network:
                    state[field] = (network[field], _origin(level, source, (*path, field)))
        result: dict[str, Any] = {
            "name": task,
            "deployed": _is_deployed(deployed),
            "network": {},
            "sources": {},
            "unresolved": [],
            "templated": [],
        }
        run_environment = run_environment_network or {}
        for field in FIELDS:
            value, origin = self._decide(field, *state.get(field, (_ABSENT, {})))
            if origin["level"] == 1:
                value = run_environment.get(field)
                if value is None:
                    result["unresolved"].append(field)
            elif isinstance(value, str) and "{{" in value:
                result["templated"].append(field)
            else:
                _check_type(field, value, origin)
            result["network"][field] = value
            result["sources"][field] = origin
        return result

    def _decide(self, field: str, value: Any, origin: Origin) -> tuple[Any, Origin]:
        """``(value, origin)`` of one field after the levels: what the deployer sends, or the Run Environment's
        (level 1), and ``fixed_at`` saying whether that is decided at deploy time or when the task runs. ``origin``:
        where a level sets ``value``, empty when none does."""
        null_from = f"{origin['file']}: {origin['key']}" if origin else None
        if self.schema_version == 3 and value in (_ABSENT, _WIPED) and field in SCHEMA3_FALLBACK:
            # The Task template's default() takes project_aws.<field> when the merged network has no such key; an
            # explicit null there is sent as null.
            _found, fallback, source = self.lookup(SCHEMA3_FALLBACK[field])
            if source is not None and fallback is not None:
                return fallback, dict(
                    _origin(2, source, SCHEMA3_FALLBACK[field]), null_from=null_from, fixed_at=DEPLOY_TIME
                )
            if source is not None:
                null_from = f"{source.relative}: {dotted(SCHEMA3_FALLBACK[field])}"
        if value is _ABSENT:
            # Schema 4 merges the Run Environment's settings into the task when it deploys; schema 3 sends nothing.
            fixed_at = DEPLOY_TIME if self.schema_version == 4 else RUN_TIME
            return None, {
                "level": 1,
                "file": None,
                "key": "run_environment",
                "null_from": null_from,
                "fixed_at": fixed_at,
            }
        if value is None or value is _WIPED:
            return None, {
                "level": 1,
                "file": None,
                "key": "run_environment",
                "null_from": null_from,
                "fixed_at": RUN_TIME,
            }
        return value, dict(origin, null_from=None, fixed_at=DEPLOY_TIME)

    def resolve_all(
        self, tasks: Sequence[str] | None = None, run_environment_network: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        names = self.task_names()
        if tasks:
            unknown = [name for name in tasks if name not in names]
            if unknown:
                raise InvalidInput(
                    "tasks", f"unknown task(s) {', '.join(unknown)}; deploy_config lists {names or 'none'}"
                )
            names = [name for name in names if name in tasks]
        return [self.resolve(name, run_environment_network) for name in names]

    # -- writing ---------------------------------------------------------------------------------------------------

    def write_target(self, target: str) -> tuple[VarsFile, KeyPath, int]:
        """``(file, key path, level)`` where ``target`` (auto, env_file, common) puts the network."""
        if target == "auto":
            target = "common" if self.env.status in ("encrypted", "decrypted") else "env_file"
        kind = ENV if target == "env_file" else COMMON
        if kind == ENV and self.env.status == "encrypted":
            raise InvalidInput(
                "target",
                f"{self.env.relative} is vault-encrypted: give ansible-playbook its vault secret (--vault-id, "
                f"--vault-password-file, --ask-vault-pass) to write it, or target=common ({self.env.reason})",
            )
        path = fill(WRITE_PATHS[self.schema_version][kind], self.environment)
        if self.schema_version == 3 and kind == ENV and "project_aws" not in self.env.data:
            path = SCHEMA3_ENV_FALLBACK
        level = WRITE_LEVEL.get((self.schema_version, kind), 2 if path[0] == "project_aws" else 6)
        source = self.env if kind == ENV else self.common
        other = self.common if kind == ENV else self.env
        if path[0] not in source.data and path[0] in other.data:
            raise InvalidInput(
                "target",
                f"{other.relative} defines {path[0]} and {source.relative} does not: creating it in "
                f"{source.relative} would replace all of {other.relative}'s {path[0]}; move it first, or choose "
                "the other target",
            )
        return source, path, level


_ABSENT = object()  # no level sets the value
_WIPED = object()  # a level nulls the whole network (network: null) above the levels that set the value


def _is_deployed(value: object) -> bool:
    """The deployer's test of a task's merged ``deployed``: unset or null, or JMESPath's to_string(value) equal to
    "true" (a YAML true, or the string "true")."""
    return value is None or value is True or value == "true"


def _origin(level: int, source: VarsFile, path: KeyPath) -> Origin:
    return {"level": level, "file": source.relative, "key": dotted(path)}


def _check_type(field: str, value: object, origin: Origin) -> None:
    where = f"{origin['file']}: {origin['key']}"
    if field == "assign_public_ip":
        if not isinstance(value, bool):
            raise NetworkError(f"{where} must be true or false, not {value!r}", path=origin["file"])
    elif not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise NetworkError(f"{where} must be a list of ids, not {value!r}", path=origin["file"])


def distinct_networks(resolved: Iterable[Mapping[str, Any]], include_undeployed: bool = False) -> list[dict[str, Any]]:
    """The distinct effective networks of resolved tasks, each with the tasks that use it (first-seen order).
    Tasks the deployer skips (``deployed: false``) count only with ``include_undeployed``."""
    networks: list[dict[str, Any]] = []
    for task in resolved:
        if not (task["deployed"] or include_undeployed):
            continue
        network = task["network"]
        key = (
            _hashable(network["subnets"]),
            _hashable(network["security_groups"]),
            _hashable(network["assign_public_ip"]),
        )
        for entry in networks:
            if entry["_key"] == key:
                entry["tasks"].append(task["name"])
                break
        else:
            networks.append(
                dict(
                    _key=key,
                    subnets=network["subnets"],
                    security_groups=network["security_groups"],
                    assign_public_ip=network["assign_public_ip"],
                    tasks=[task["name"]],
                    auditable=_auditable(network),
                )
            )
    for entry in networks:
        del entry["_key"]
    return networks


def _auditable(network: Mapping[str, Any]) -> bool:
    """Whether network_check can audit it: known subnets and security groups (a missing assign_public_ip means
    CloudReactor's default, false)."""
    return all(
        isinstance(network[field], list) and network[field] and all("{{" not in item for item in network[field])
        for field in ("subnets", "security_groups")
    ) and not isinstance(network["assign_public_ip"], str)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def same_network_value(current: object, wanted: object) -> bool:
    """Whether a stored value already says ``wanted`` (lists compare as sets: order means nothing to ECS)."""
    if isinstance(wanted, list):
        return isinstance(current, list) and sorted(map(str, current)) == sorted(wanted)
    return isinstance(current, bool) and current == wanted
