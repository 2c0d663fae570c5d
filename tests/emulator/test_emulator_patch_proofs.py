"""Every emulator patch names its proofs (``PROOFS``), and every proof it names is a test in tests/emulator/.

Read from the sources (ast), so this costs no emulator and no moto import: a patch added without proofs, or a proof
renamed or removed while a patch still cites it, fails here.
"""

import ast
from pathlib import Path

import pytest

EMULATOR_TESTS = Path(__file__).resolve().parent
PATCHES_DIR = EMULATOR_TESTS.parent / "aws_emulator" / "patches"
PATCH_NAMES = sorted(path.stem for path in PATCHES_DIR.glob("*.py") if path.stem != "__init__")


def defined_tests(file_name):
    """The test functions defined at the top level of tests/emulator/``file_name``."""
    tree = ast.parse((EMULATOR_TESTS / file_name).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def assigned(path, name):
    """The literal value assigned to ``name`` at the top level of ``path`` (None when there is none)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(target, "id", None) for target in node.targets] == [name]:
            return node.value
    return None


def proofs_of(patch_name):
    value = assigned(PATCHES_DIR / f"{patch_name}.py", "PROOFS")
    return None if value is None else ast.literal_eval(value)


def test_every_patch_module_is_applied():
    applied = assigned(PATCHES_DIR / "__init__.py", "PATCHES")
    assert sorted(element.id for element in applied.elts) == PATCH_NAMES


@pytest.mark.parametrize("patch_name", PATCH_NAMES)
def test_patch_declares_proofs_that_exist(patch_name):
    proofs = proofs_of(patch_name)
    assert proofs, f"patches/{patch_name}.py declares no PROOFS"
    assert len(set(proofs)) == len(proofs), proofs
    for proof in proofs:
        file_name, _, test_name = proof.partition("::")
        assert (EMULATOR_TESTS / file_name).is_file(), f"{patch_name}: {proof}: no such file in tests/emulator"
        assert test_name in defined_tests(file_name), f"{patch_name}: {proof}: no such test"
