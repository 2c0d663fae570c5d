# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Round-trip YAML for files people edit by hand: read, change a few values, write, and keep everything else.

An emitter (even a round-trip one) rewrites the whole file and normalises what it does not model: ``True``
becomes ``true``, ``~`` becomes nothing, flow spacing changes, a comment above ``---`` disappears. So this module
does not re-emit anything. It parses the file with the YAML parser (PyYAML, which Ansible itself uses, so values
mean here what they mean to Ansible), keeps the exact text position of every node, and splices new text in at
those positions only. Every byte outside the edited values is the original's.

Each edit is then proven: the new text is parsed again and its data must equal the old data with exactly the
requested values changed. If anything else would change (a value shared through a YAML anchor, say), the edit is
refused and the file is left alone.

Also here: an atomic write (temporary file in the same directory, fsync, rename), so a failure never leaves a
half-written file. Vault-encrypted files are not this module's business: the action plugins decrypt and encrypt
them with ansible-core's own vault code and hand the plaintext here.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import typing
from collections import Counter

try:
    import yaml

    HAS_YAML = True
except ImportError:  # the modules report the missing library with missing_required_lib
    yaml = None  # type: ignore[assignment]  # never used then: HAS_YAML is checked first
    HAS_YAML = False

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError

if typing.TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping, Sequence
    from typing import Any, TypeAlias

    # ``(start, end, replacement)``: one splice of a document's text.
    Edit: TypeAlias = tuple[int, int, str]

VAULT_HEADER = "$ANSIBLE_VAULT;"
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./:@-]*$")
_MERGE_KEY = "<<"


# -- reading -----------------------------------------------------------------------------------------------------

if HAS_YAML:

    class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that also accepts Ansible's local tags (``!vault``, ``!unsafe``...) as their plain value."""

    def _local_tag(
        loader: _Loader, tag_suffix: str, node: yaml.ScalarNode | yaml.SequenceNode | yaml.MappingNode
    ) -> Any:  # pylint: disable=unused-argument
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    _Loader.add_multi_constructor("!", _local_tag)


def _yaml_error(source: str, error: BaseException) -> NetworkError:
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    return NetworkError(f"{source}: not valid YAML{where}: {problem}", path=source)


def plain(value: Any) -> Any:
    """A copy of loaded YAML data made of new dicts and lists, so that values shared through anchors and aliases
    become independent copies (what they mean, not how they were written)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def load_yaml(text: str, source: str) -> Any:
    """The data of ``text`` (one YAML document) as Ansible reads it; ``None`` for an empty document."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise _yaml_error(source, error) from None
    if len(documents) > 1:
        raise NetworkError(f"{source}: holds {len(documents)} YAML documents; a vars file holds one", path=source)
    return plain(documents[0]) if documents else None


def dig(data: Any, path: Iterable[Hashable]) -> tuple[bool, Any]:
    """``(found, value)`` of the key path ``path`` in nested mappings (``found`` is False when a key is missing or
    a step is not a mapping)."""
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


# -- the text map of a document ----------------------------------------------------------------------------------


class Node:
    """A node of the parsed document with the text positions of its source."""

    __slots__ = ("kind", "start", "end", "line", "column", "flow", "style", "value", "tag", "anchor", "items")

    def __init__(self, kind: str, event: Any) -> None:
        self.kind = kind  # scalar, alias, map, seq
        self.start: int = event.start_mark.index
        self.end: int = event.end_mark.index
        self.line: int = event.start_mark.line
        self.column: int = event.start_mark.column
        self.flow = bool(getattr(event, "flow_style", False))
        self.style: str | None = getattr(event, "style", None)
        self.value: str | None = getattr(event, "value", None)
        self.tag: str | None = getattr(event, "tag", None)
        self.anchor: str | None = getattr(event, "anchor", None)
        self.items: list[Any] = []  # seq: nodes; map: (key node, value node) pairs

    def is_empty_null(self) -> bool:
        """``key:`` with nothing after it (PyYAML puts the empty scalar right after the colon)."""
        return self.kind == "scalar" and self.value == "" and self.style is None and self.start == self.end

    def is_null(self) -> bool:
        return self.kind == "scalar" and self.style is None and self.value in ("", "~", "null", "Null", "NULL")

    def own_pair(self, key: str) -> tuple[Node, Node] | None:
        """The pair whose key is ``key`` written in this mapping (not brought by a ``<<`` merge)."""
        for key_node, value_node in self.items:
            if key_node.kind == "scalar" and key_node.value == key and not _is_merge(key_node):
                return key_node, value_node
        return None

    def merge_values(self) -> list[Node]:
        return [value for key, value in self.items if _is_merge(key)]


def _is_merge(key_node: Node) -> bool:
    return key_node.kind == "scalar" and key_node.value == _MERGE_KEY and key_node.style is None


def _tree(text: str, source: str) -> Node | None:
    """The root node of the single document of ``text``, or ``None`` when there is no content."""
    stack: list[Node] = []
    root = None
    documents = 0
    # PyYAML's parser gives every event both its marks; its stubs allow none.
    event: Any
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            name = type(event).__name__
            if name == "DocumentStartEvent":
                documents += 1
                continue
            if name in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop().end = event.end_mark.index
                continue
            kind = {
                "ScalarEvent": "scalar",
                "AliasEvent": "alias",
                "MappingStartEvent": "map",
                "SequenceStartEvent": "seq",
            }.get(name)
            if kind is None:
                continue
            node = Node(kind, event)
            if stack:
                parent = stack[-1]
                if parent.kind == "seq":
                    parent.items.append(node)
                elif parent.items and parent.items[-1][1] is None:
                    parent.items[-1] = (parent.items[-1][0], node)
                else:
                    parent.items.append((node, None))
            elif root is None:
                root = node
            if kind in ("map", "seq"):
                stack.append(node)
    except yaml.YAMLError as error:
        raise _yaml_error(source, error) from None
    if documents > 1:
        raise NetworkError(f"{source}: holds {documents} YAML documents; a vars file holds one", path=source)
    return root


def _content_end(text: str, node: Node) -> int:
    """Where the text of ``node`` really ends (block collections officially end at the next token, after any
    comments; block scalars include their final line break)."""
    if node.kind in ("map", "seq") and not node.flow:
        last = node.items[-1]
        return _content_end(text, last if node.kind == "seq" else last[1])
    end = node.end
    if node.kind == "scalar" and node.style in ("|", ">"):
        while end > node.start and text[end - 1] in "\r\n":
            end -= 1
    return end


def _after_colon(text: str, key_node: Node) -> int:
    """The index just after the ``:`` that follows ``key_node``."""
    index = key_node.end
    while index < len(text) and text[index] in " \t":
        index += 1
    if index >= len(text) or text[index] != ":":
        raise NetworkError(f"cannot find the ':' after the key {key_node.value!r} (line {key_node.line + 1})")
    return index + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _content_start(text: str, node: Node) -> int:
    """Where the content of ``node`` starts: after its anchor and tag (``&sgs``, ``!!seq``) and the spaces, line
    breaks and comments after them (a block list's first dash may be on the next line). A node without them
    starts at its own position."""
    index = node.start
    if node.kind == "alias" or text[index : index + 1] not in ("&", "!"):
        return index
    while index < len(text):
        if text[index] in "&!":
            while index < len(text) and text[index] not in " \t\r\n":
                index += 1
        elif text[index] in " \t\r\n":
            index += 1
        elif text[index] == "#":
            index = _line_end(text, index)
        else:
            return index
    return index


def _aliased_anchors(root: Node | None) -> set[str | None]:
    """The anchor names that an alias (``*name``) repeats somewhere in the document."""
    found: set[str | None] = set()
    pending: list[Node | None] = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if node is None:
            continue
        if node.kind == "alias":
            found.add(node.anchor)
        elif node.kind == "seq":
            pending.extend(node.items)
        elif node.kind == "map":
            pending.extend(child for pair in node.items for child in pair)
    return found


def _line_end(text: str, index: int) -> int:
    """Index of the start of the line after the one holding ``index`` (``len(text)`` on the last line)."""
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


# -- rendering new values ----------------------------------------------------------------------------------------


class Style:
    """How a document indents: mapping children, and block sequence dashes relative to their key."""

    def __init__(self, map_indent: int = 2, seq_offset: int = 2, newline: str = "\n") -> None:
        self.map_indent = map_indent
        self.seq_offset = seq_offset
        self.newline = newline

    @classmethod
    def of(cls, text: str, root: Node | None) -> Style:
        map_indents: Counter[int] = Counter()
        seq_offsets: Counter[int] = Counter()

        def walk(node: Node | None) -> None:
            if node is None or node.kind not in ("map", "seq"):
                return
            if node.kind == "seq":
                for item in node.items:
                    walk(item)
                return
            for key, value in node.items:
                if value is not None and not node.flow and not value.flow:
                    if value.kind == "map" and value.items and value.line > key.line:
                        map_indents[value.column - key.column] += 1
                    elif value.kind == "seq" and value.line > key.line:
                        seq_offsets[value.column - key.column] += 1
                walk(value)

        walk(root)
        map_indent = map_indents.most_common(1)[0][0] if map_indents else 2
        seq_offset = seq_offsets.most_common(1)[0][0] if seq_offsets else 2
        return cls(max(map_indent, 1), max(seq_offset, 0), "\r\n" if "\r\n" in text else "\n")


def _bool_text(value: bool, like: str | None = None) -> str:
    """``value`` written as ``like`` (an existing boolean's text) writes booleans: ``False``, ``no``, ``FALSE``..."""
    words = ("true", "false")
    if like and like.lower() in ("yes", "no"):
        words = ("yes", "no")
    elif like and like.lower() in ("on", "off"):
        words = ("on", "off")
    word = words[0] if value else words[1]
    if like and like.isupper():
        return word.upper()
    if like and like[:1].isupper():
        return word.capitalize()
    return word


def _scalar_text(value: object, like: str | None = None, quote: str | None = None) -> str:
    if isinstance(value, bool):
        return _bool_text(value, like)
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    text: str = to_text(value)
    if quote == "'" and "'" not in text and "\n" not in text:
        return f"'{text}'"
    if quote is None and _PLAIN_SAFE.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def _flow_text(value: object, quote: str | None = None) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar_text(key)}: {_flow_text(item, quote)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow_text(item, quote) for item in value) + "]"
    return _scalar_text(value, quote=quote)


def _block_lines(key: object, value: object, column: int, style: Style) -> str:
    """``key: value`` as block YAML lines starting at ``column``; each line ends with a newline."""
    pad = " " * column
    nl = style.newline
    if isinstance(value, dict) and value:
        lines = f"{pad}{_scalar_text(key)}:{nl}"
        return lines + "".join(_block_lines(k, v, column + style.map_indent, style) for k, v in value.items())
    if isinstance(value, list) and value:
        dash = " " * (column + style.seq_offset)
        return f"{pad}{_scalar_text(key)}:{nl}" + "".join(f"{dash}- {_flow_text(item)}{nl}" for item in value)
    return f"{pad}{_scalar_text(key)}: {_flow_text(value)}{nl}"


def render_block(mapping: Mapping[Any, Any], style: Style | None = None) -> str:
    """A mapping as block YAML text (for diffs and new files)."""
    style = style or Style()
    return "".join(_block_lines(key, value, 0, style) for key, value in mapping.items())


def _nest(path: Sequence[Any], values: Mapping[Any, Any]) -> dict[Any, Any]:
    """``{path[0]: {path[1]: ... values}}``."""
    nested: dict[Any, Any] = dict(values)
    for key in reversed(path):
        nested = {key: nested}
    return nested


# -- editing -----------------------------------------------------------------------------------------------------


class Document:
    """One YAML file's text, its data and the text map of its nodes; :meth:`set_values` returns edited text."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.data = load_yaml(text, source)
        self.root = _tree(text, source)
        self.style = Style.of(text, self.root)
        self.aliased = _aliased_anchors(self.root)

    def get(self, path: Iterable[Hashable]) -> tuple[bool, Any]:
        return dig(self.data, path)

    def set_values(self, path: Sequence[str], values: Mapping[str, Any]) -> str:
        """The text with the mapping at key path ``path`` holding ``values`` (a dict of keys to scalars or lists),
        missing mappings on the way created, every other byte unchanged. Refuses (``NetworkError``) an edit that
        would change anything else, for example through a YAML anchor or a ``<<`` merge."""
        if not values:
            return self.text
        edits = self._plan(list(path), dict(values))
        text = self.text
        for start, end, replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
            text = text[:start] + replacement + text[end:]
        self._prove(text, path, values)
        return text

    # Each helper returns a list of (start, end, replacement) edits of self.text.

    def _plan(self, path: list[str], values: dict[str, Any]) -> list[Edit]:
        text = self.text
        node = self.root
        if node is None or node.is_empty_null():
            return [self._append_at_end(_nest(path, values))]
        if node.is_null():
            return [(node.start, node.end, render_block(_nest(path, values), self.style).rstrip("\r\n"))]
        walked: list[str] = []
        while True:
            if node.kind != "map":
                raise self._not_a_mapping(walked, node)
            if not path:
                return self._set_in_mapping(node, values, walked)
            key = path[0]
            pair = node.own_pair(key)
            if pair is None:
                if node.merge_values() and dig(self.data, [*walked, key])[0]:
                    raise NetworkError(
                        f"{self.source}: {'.'.join([*walked, key])} comes from a YAML merge key (<<); write it "
                        "out in that mapping (or choose another target) so that the change stays where it belongs",
                        path=self.source,
                    )
                return [self._insert_into(node, {key: _nest(path[1:], values)})]
            key_node, value_node = pair
            walked.append(key)
            if value_node.kind == "alias":
                raise NetworkError(
                    f"{self.source}: {'.'.join(walked)} is a YAML alias (*{value_node.anchor}); changing it would also "
                    "change what the anchor defines. Write the mapping out, or choose another target.",
                    path=self.source,
                )
            if value_node.kind == "scalar" and value_node.is_null():
                return self._replace_null(key_node, value_node, _nest(path[1:], values), text)
            node = value_node
            path = path[1:]

    def _not_a_mapping(self, walked: list[str], node: Node) -> NetworkError:
        where = ".".join(walked) or "the document"
        return NetworkError(
            f"{self.source}: {where} must be a mapping to hold the network, but it is a {node.kind} "
            f"(line {node.line + 1})",
            path=self.source,
        )

    def _append_at_end(self, mapping: Mapping[Any, Any]) -> Edit:
        text = self.text
        prefix = "" if not text or text.endswith("\n") else self.style.newline
        return (len(text), len(text), prefix + render_block(mapping, self.style))

    def _insert_into(self, mapping_node: Node, entries: Mapping[Any, Any]) -> Edit:
        """Add ``entries`` (new keys) to an existing mapping, after its last entry."""
        text = self.text
        if mapping_node.flow:
            close = mapping_node.end - 1
            separator = ", " if mapping_node.items else ""
            added = ", ".join(f"{_scalar_text(key)}: {_flow_text(value)}" for key, value in entries.items())
            return (close, close, separator + added)
        last_key, last_value = mapping_node.items[-1]
        end = _after_colon(text, last_key) if last_value.is_empty_null() else _content_end(text, last_value)
        at = _line_end(text, end)
        prefix = self.style.newline if at == len(text) and not text.endswith("\n") else ""
        column = mapping_node.items[0][0].column
        return (
            at,
            at,
            prefix + "".join(_block_lines(key, value, column, self.style) for key, value in entries.items()),
        )

    def _replace_null(self, key_node: Node, value_node: Node, mapping: Mapping[Any, Any], text: str) -> list[Edit]:
        """``key:`` / ``key: null`` / ``key: ~`` becomes ``key:`` followed by the block of ``mapping``."""
        colon = _after_colon(text, key_node)
        if self._in_flow(key_node):
            return [(value_node.start, value_node.end, _flow_text(mapping))]
        edits: list[Edit] = []
        end = colon
        if not value_node.is_empty_null():
            end = value_node.end
            edits.append((colon, end, ""))
        at = _line_end(text, end)
        prefix = self.style.newline if at == len(text) and not text.endswith("\n") else ""
        column = key_node.column + self.style.map_indent
        block = "".join(_block_lines(key, value, column, self.style) for key, value in mapping.items())
        edits.append((at, at, prefix + block))
        return edits

    def _in_flow(self, key_node: Node) -> bool:
        """Whether ``key_node`` sits inside a flow mapping (then new content must be flow too)."""

        def find(node: Node | None, inside_flow: bool) -> bool | None:
            if node is None or node.kind not in ("map", "seq"):
                return None
            flow = inside_flow or node.flow
            children = node.items if node.kind == "seq" else [n for pair in node.items for n in pair]
            for child in children:
                if child is key_node:
                    return flow
                found = find(child, flow)
                if found is not None:
                    return found
            return None

        return bool(find(self.root, False))

    def _set_in_mapping(self, mapping_node: Node, values: Mapping[str, Any], walked: list[str]) -> list[Edit]:
        text = self.text
        edits: list[Edit] = []
        missing: dict[str, Any] = {}
        for key, value in values.items():
            pair = mapping_node.own_pair(key)
            if pair is None:
                missing[key] = value
                continue
            key_node, value_node = pair
            if value_node.kind == "alias":
                raise NetworkError(
                    f"{self.source}: {'.'.join([*walked, key])} is a YAML alias (*{value_node.anchor}); write the "
                    "value out to change it",
                    path=self.source,
                )
            if value_node.anchor and value_node.anchor in self.aliased:
                raise NetworkError(
                    f"{self.source}: {'.'.join([*walked, key])} defines the YAML anchor &{value_node.anchor}, which "
                    f"*{value_node.anchor} repeats elsewhere in the file; changing it would change that value too. "
                    "Write the value out where the alias is (or choose another target); the file was left unchanged",
                    path=self.source,
                )
            edits.extend(self._replace_value(mapping_node, key_node, value_node, value, text))
        if missing:
            edits.append(self._insert_into(mapping_node, missing))
        return edits

    def _replace_value(
        self, mapping_node: Node, key_node: Node, value_node: Node, value: object, text: str
    ) -> list[Edit]:
        quote = _quote_of(value_node)
        # An anchor or a tag written before the value (``&sgs``, ``!!seq``) stays: only what follows it is replaced.
        start = _content_start(text, value_node)
        if mapping_node.flow:
            return [(start, value_node.end, _flow_text(value, quote))]
        colon = _after_colon(text, key_node)
        end = colon if value_node.is_empty_null() else _content_end(text, value_node)
        if isinstance(value, list):
            return [self._replace_list(key_node, value_node, value, (start, colon, end), quote)]
        like = value_node.value if value_node.kind == "scalar" else None
        rendered = _scalar_text(value, like=like, quote=quote if not isinstance(value, bool) else None)
        if start != value_node.start or (value_node.kind == "scalar" and not value_node.is_empty_null()):
            return [(start, end, rendered)]
        return [(colon, end, " " + rendered)]

    def _replace_list(
        self, key_node: Node, value_node: Node, items: list[Any], span: tuple[int, int, int], quote: str | None
    ) -> Edit:
        """The edit writing the list ``items`` over a block mapping's value; ``span``: where the value's content
        starts, the index after the key's colon, where the value ends."""
        start, colon, end = span
        nl = self.style.newline
        if value_node.kind == "seq" and not value_node.flow and items:
            dash = " " * (start - _line_start(self.text, start))
            return (start, end, (nl + dash).join(f"- {_scalar_text(item, quote=quote)}" for item in items))
        if start != value_node.start or (value_node.kind == "seq" and value_node.flow):
            return (start, end, _flow_text(items, quote))
        if not items:
            return (colon, end, " " + _flow_text(items, quote))
        dash = " " * (key_node.column + self.style.seq_offset)
        return (colon, end, "".join(f"{nl}{dash}- {_scalar_text(item, quote=quote)}" for item in items))

    def _prove(self, new_text: str, path: Sequence[str], values: Mapping[str, Any]) -> None:
        """The new text must parse to the old data with exactly ``values`` set at ``path``."""
        expected = plain(self.data) if self.data is not None else {}
        node = expected
        for key in path:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node.update(plain(values))
        actual = load_yaml(new_text, self.source)
        if actual != expected:
            differences = _differences(expected, actual)
            raise NetworkError(
                f"{self.source}: writing {'.'.join(path)} would also change {', '.join(differences) or 'other data'} "
                "(values shared through a YAML anchor/alias or a << merge?); the file was left unchanged",
                path=self.source,
            )


def _quote_of(node: Node) -> str | None:
    """The quote style of a scalar, or of a sequence's first item, to write new values alike."""
    if node.kind == "seq" and node.items:
        node = node.items[0]
    if node.kind == "scalar" and node.style in ("'", '"'):
        return node.style
    return None


def _differences(expected: Any, actual: Any, prefix: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            found.extend(_differences(expected.get(key), actual.get(key), f"{prefix}{key}."))
        return found
    return [] if expected == actual else [prefix.rstrip(".") or "the document"]


# -- files -------------------------------------------------------------------------------------------------------


def is_vault_text(text: str) -> bool:
    return text.lstrip().startswith(VAULT_HEADER)


def read_text(path: str) -> str:
    """The exact text of ``path`` (line endings kept)."""
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def atomic_write(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: write a temporary file beside it, fsync, rename. The file keeps
    its permissions (a new file gets the usual ones); on any failure the original is untouched and the temporary
    file is removed."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(target):
            status = os.stat(target)
            os.chmod(temporary, status.st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
