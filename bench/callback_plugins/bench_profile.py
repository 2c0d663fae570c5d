# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: one JSON line per task start (and one at the end) for ``python -m bench``.

Each line holds a monotonic timestamp (CLOCK_MONOTONIC is system-wide on Linux, so the harness can compare it with
its own clock) and the size of the emulator's request recording at that moment. A task spans from its line to the
next one; the harness slices the recording by those offsets to attribute every API call to the task that made it.
Nothing here talks to the emulator: the overhead is one ``stat`` per task.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_profile
type: aggregate
short_description: Task boundaries and API-recording offsets for the cloudreactor.aws benchmark
description:
  - Writes one JSON line per task start and one at the end of the run to the file named by E(BENCH_PROFILE_FILE).
  - Used only by C(python -m bench); not part of the collection.
requirements:
  - enabled with E(ANSIBLE_CALLBACKS_ENABLED=bench_profile)
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._out_path = os.environ.get("BENCH_PROFILE_FILE")
        self._recording = os.environ.get("BENCH_RECORDING_FILE")
        self._current = None

    def _offset(self):
        try:
            return os.stat(self._recording).st_size if self._recording else None
        except OSError:
            return None

    def _write(self, event):
        if not self._out_path:
            return
        with open(self._out_path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(event) + "\n")

    def _flush_current(self, now, offset):
        if self._current is not None:
            self._current.update(end=now, end_offset=offset)
            self._write(self._current)
            self._current = None

    def _start(self, task, kind):
        now, offset = time.monotonic(), self._offset()
        self._flush_current(now, offset)
        role = getattr(task, "_role", None)
        self._current = {
            "kind": kind,
            "name": task.get_name(),
            "action": task.action,
            "role": role.get_name() if role else None,
            "start": now,
            "start_offset": offset,
            "items": 0,
            "changed": False,
            "skipped": False,
            "failed": False,
        }

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task, "task")

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, "handler")

    def _result(self, result, *, skipped=False, failed=False):
        if self._current is None:
            return
        self._current["changed"] = self._current["changed"] or bool(result._result.get("changed"))
        self._current["skipped"] = skipped
        self._current["failed"] = self._current["failed"] or failed

    def v2_runner_on_ok(self, result):
        self._result(result)

    def v2_runner_on_skipped(self, result):
        self._result(result, skipped=True)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, failed=not ignore_errors)

    def v2_runner_item_on_ok(self, result):
        if self._current is not None:
            self._current["items"] += 1

    v2_runner_item_on_failed = v2_runner_item_on_ok
    v2_runner_item_on_skipped = v2_runner_item_on_ok

    def v2_playbook_on_stats(self, stats):
        now, offset = time.monotonic(), self._offset()
        self._flush_current(now, offset)
        self._write({"kind": "end", "end": now, "end_offset": offset})
