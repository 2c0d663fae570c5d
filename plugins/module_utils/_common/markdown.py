# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Markdown tables whose cells cannot break them: shared by the reports of the audit and of check_deploy_config."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: a ``|`` would start a new column and a line break end the row."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table; every header and row cell is escaped with :func:`cell`."""
    lines = ["| " + " | ".join(cell(title) for title in header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return lines
