"""Imports go down the layers only (README, "Layout"): read from every plugin's source, never by importing it."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]
PLUGINS = ROOT / "plugins"
OURS = "ansible_collections.cloudreactor.aws.plugins."

# The layers from the bottom up. A package may import its own layer's modules and any lower layer's, never a higher
# one's; _audit and _cloudreactor share a layer and do not import each other.
LAYERS = [
    {"_common"},
    {"_aws"},
    {"_model"},
    {"_resources"},
    {"_audit", "_cloudreactor"},
    {"_network"},
    {"modules", "action"},
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}

# The CloudReactor side calls no AWS API: it (and every plugin that uses it) stays off the AWS packages, so that
# neither botocore nor the AWS retries are loaded where no EC2 call is made.
AWS_PACKAGES = {"_aws", "_model", "_resources", "_audit", "_network"}


def package_of(path):
    """``_aws``, ``_model``... for a file under module_utils; ``modules`` or ``action`` for a plugin."""
    parts = path.relative_to(PLUGINS).parts
    return parts[1] if parts[0] == "module_utils" else parts[0]


def imported_packages(path):
    """The packages of ours that ``path`` imports, each with the line that imports it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: a relative import (Ansible wants absolute ones)")
        names = [node.module] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name and name.startswith(OURS):
                parts = name[len(OURS) :].split(".")
                package = parts[1] if parts[0] == "module_utils" and len(parts) > 1 else parts[0]
                found.append((package, node.lineno))
    return found


SOURCES = sorted(path for path in PLUGINS.rglob("*.py") if package_of(path) in RANK)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PLUGINS)))
def test_imports_go_down_the_layers(path):
    package = package_of(path)
    for imported, line in imported_packages(path):
        where = f"{path.relative_to(ROOT)}:{line} imports {imported}"
        assert imported in RANK, f"{where}, a package the layering does not know: add it to LAYERS and README"
        if imported == package:
            continue
        assert package != "_common", f"{where}: _common imports nothing of ours"
        assert RANK[imported] < RANK[package] or (RANK[imported] == RANK[package] == RANK["modules"]), (
            f"{where}: a package imports only from lower layers ({' -> '.join('/'.join(sorted(p)) for p in LAYERS)})"
        )


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PLUGINS)))
def test_the_cloudreactor_side_loads_no_aws_code(path):
    imported = {package for package, _line in imported_packages(path)}
    if package_of(path) == "_cloudreactor" or "_cloudreactor" in imported:
        assert not imported & AWS_PACKAGES, f"{path.relative_to(ROOT)} imports {sorted(imported & AWS_PACKAGES)}"


def test_every_layer_has_files():
    """A renamed package would make the rules above check nothing."""
    assert {package_of(path) for path in SOURCES} == set(RANK)
