# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""check_deploy_config's verdicts and report: every task's effective network, where each value comes from, and
what the audit (cloudreactor.aws.network_check) of its network found.

Input: the tasks resolved by deploy_config_network_info and the registered results of a network_check loop over
its ``networks`` (each result's ``item`` is the network it audited, with the names of the tasks using it).
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.deploy_config import DEPLOY_TIME
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.markdown import cell, table

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

FAIL_ON = ("error", "warning", "never")


def _audit_of(task_name: str, audit_results: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for audit in audit_results:
        if task_name in ((audit.get("item") or {}).get("tasks") or []):
            return audit
    return None


def _audit_failed(audit: Mapping[str, Any]) -> bool:
    # The playbook's audit loop sets failed_when: false so that the report is still written: a result without a
    # summary is an audit that could not run.
    return bool(audit.get("failed")) or "summary" not in audit


def _problem_codes(audit: Mapping[str, Any]) -> list[str]:
    codes: list[str] = []
    for finding in audit.get("findings") or []:
        if finding.get("severity") != "info" and finding.get("code") not in codes:
            codes.append(finding.get("code"))
    return codes


def task_audit(task: Mapping[str, Any], audit_results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{verdict, passed, errors, warnings}`` of one resolved task. ``passed`` is None when the network was not
    audited (the task is not deployed, or a value is unknown or a template), False when the audit found errors or
    could not run."""
    unaudited = dict(passed=None, errors=0, warnings=0)
    if not task["deployed"]:
        return dict(unaudited, verdict="not deployed (deployed: false)")
    if task["templated"]:
        return dict(unaudited, verdict=f"not audited: {', '.join(task['templated'])} written as templates")
    audit = _audit_of(task["name"], audit_results)
    if audit is None:
        unknown = ", ".join(task["unresolved"]) or "the network"
        return dict(unaudited, verdict=f"unknown: {unknown} left to the Run Environment")
    if _audit_failed(audit):
        return dict(unaudited, passed=False, verdict=f"audit failed: {audit.get('msg', 'no message')}")
    summary = audit["summary"]
    codes = " ".join(_problem_codes(audit))
    if summary["errors"]:
        verdict = f"FAIL {codes}"
    elif summary["warnings"]:
        verdict = f"warn {codes}"
    else:
        verdict = "ok"
    return dict(verdict=verdict, passed=not summary["errors"], errors=summary["errors"], warnings=summary["warnings"])


def failing_tasks(tasks: Iterable[Mapping[str, Any]], fail_on: str) -> list[str]:
    """Names of the tasks whose audit crosses ``fail_on`` (error, warning, never); an audit that could not run
    counts as an error."""
    if fail_on == "never":
        return []
    return [
        task["name"]
        for task in tasks
        if task["audit"]["passed"] is False or (fail_on == "warning" and task["audit"]["warnings"])
    ]


def _ids(value: str | Iterable[str] | None) -> str:
    if value is None:
        return "unknown"
    return value if isinstance(value, str) else ", ".join(value)


def _public_ip(value: object) -> str:
    # Not set anywhere: CloudReactor's default, no public IP.
    return "unset (false)" if value is None else str(value).lower()


def row(task: Mapping[str, Any]) -> list[str]:
    """The task's subnets, security groups, public IP and verdict, as printed and as a report row."""
    network = task["network"]
    return [
        task["name"],
        _ids(network["subnets"]),
        _ids(network["security_groups"]),
        _public_ip(network["assign_public_ip"]),
        task["audit"]["verdict"],
    ]


def origin_text(origin: Mapping[str, Any]) -> tuple[str, str]:
    """Where one value comes from, and when it is decided, in words."""
    when = "at deploy time" if origin["fixed_at"] == DEPLOY_TIME else "when the task runs"
    if origin["level"] != 1:
        return f"{origin['file']}: {origin['key']}", when
    if origin["null_from"]:
        return f"the Run Environment (null at {origin['null_from']})", when
    return "the Run Environment", when


def render(
    context: Mapping[str, Any], tasks: Iterable[Mapping[str, Any]], audit_results: Iterable[Mapping[str, Any]]
) -> str:
    """The Markdown report. ``context``: deploy_config_dir, environment, schema_version, env_file_status,
    run_environment and run_environment_read (whether its network was read from CloudReactor)."""
    read = " (read from CloudReactor)" if context["run_environment_read"] else ""
    lines = [
        f"# Network check of deploy_config: {context['environment']}",
        "",
        f"deploy_config `{context['deploy_config_dir']}` (schema {context['schema_version']}, environment file "
        f"{context['env_file_status']}), Run Environment `{context['run_environment']}`{read}.",
        "",
    ]
    lines.extend(table(["Task", "Subnets", "Security groups", "Public IP", "Verdict"], [row(task) for task in tasks]))
    lines.extend(["", "## Where each value comes from", ""])
    origins = []
    for task in tasks:
        for field, origin in task["sources"].items():
            origins.append([task["name"], field, *origin_text(origin)])
    lines.extend(table(["Task", "Value", "From", "Decided"], origins))
    for audit in audit_results:
        network = audit.get("item") or {}
        lines.extend(["", f"## {cell(', '.join(network.get('tasks') or []))}", ""])
        if _audit_failed(audit):
            lines.append(f"The audit failed: {cell(audit.get('msg'))}")
            continue
        summary = audit["summary"]
        lines.append(
            f"Subnets {_ids(network.get('subnets'))}; security groups {_ids(network.get('security_groups'))}; "
            f"public IP {_public_ip(network.get('assign_public_ip'))}: {summary['errors']} error(s), "
            f"{summary['warnings']} warning(s)."
        )
        findings = audit.get("findings") or []
        if findings:
            lines.append("")
            lines.extend(
                table(
                    ["Code", "Severity", "Resource", "Problem", "Fix"],
                    [
                        [
                            f"`{item['code']}`",
                            item["severity"],
                            item["resource_id"],
                            item["message"],
                            item["remediation"],
                        ]
                        for item in findings
                    ],
                )
            )
    return "\n".join(lines) + "\n"
