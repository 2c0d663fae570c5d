"""Every emulator patch names its proofs (``PROOFS``), every proof it names is a test in tests/emulator/, and each
proof fails against an emulator started without its patch (a proof that passes there proves nothing).

The names are read from the sources (ast), so those checks cost no emulator and no moto import: a patch added without
proofs, or a proof renamed or removed while a patch still cites it, fails here. ``test_proofs_fail_without_their_patch``
runs each patch's proofs in a pytest session of their own, in this process, against an emulator without that patch
forked from one that has imported moto once (aws_emulator/forks.py): ~0.5 CPU-s a patch instead of ~2.5.
"""

import ast
from pathlib import Path

import pytest

from aws_emulator.client import EmulatorError
from aws_emulator.fixtures import GIVEN_EMULATOR
from aws_emulator.forks import EmulatorForks

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


#: Proofs that may pass without their patch, and why: asserting that they fail would make a flaky test.
MAY_PASS_WITHOUT_THEIR_PATCH = {
    "test_emulator_key_pairs.py::test_concurrent_imports_of_one_name_one_succeeds": (
        "a race: stock moto checks the name and stores the key pair in one short stretch of Python, so concurrent "
        "ImportKeyPair calls seldom overlap in it (without the patch the proof failed about 1 run in 3 on a loaded "
        "machine, in none of 6 on an idle one)"
    ),
}


def proof_of(nodeid):
    """``file::test`` (as PROOFS names it) of a pytest node id ``tests/emulator/file::test[case]``."""
    path, _, test = nodeid.partition("::")
    return f"{Path(path).name}::{test.partition('[')[0]}"


class ProofSession:
    """Plugin of the pytest session that runs one patch's proofs: gives it the emulator, records which proofs ran and
    which failed, and skips the remaining cases of a proof once one of its cases has failed (that proves enough)."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.ran = set()
        self.failed = set()

    def pytest_configure(self, config):
        config.stash[GIVEN_EMULATOR] = self.emulator

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if proof_of(item.nodeid) in self.failed:
            pytest.skip("another case of this proof has failed")

    def pytest_runtest_logreport(self, report):
        if report.when == "setup" and not report.skipped:
            self.ran.add(proof_of(report.nodeid))
        if report.failed:
            self.failed.add(proof_of(report.nodeid))


@pytest.fixture(scope="module")
def emulator_forks():
    with EmulatorForks.start() as forks:
        yield forks


# One group, so that one xdist worker runs every patch's case with one fork server.
@pytest.mark.xdist_group("emulator_patch_proofs")
@pytest.mark.parametrize("patch_name", PATCH_NAMES)
def test_proofs_fail_without_their_patch(emulator_forks, patch_name):
    """Every proof of the patch fails against an emulator without it (the rest of the suite runs them with it, where
    they pass). A proof with cases fails when one of them fails: the others may be controls that stock moto passes
    too (nat_failure's NAT gateways that stay available)."""
    proofs = [proof for proof in proofs_of(patch_name) if proof not in MAY_PASS_WITHOUT_THEIR_PATCH]
    if not proofs:
        pytest.skip(f"every proof of {patch_name} may pass without it")
    with emulator_forks.emulator(skip_patches=[patch_name]) as emulator:
        session = ProofSession(emulator)
        paths = [str(EMULATOR_TESTS / proof) for proof in proofs]
        pytest.main(["-q", "-p", "no:faulthandler", "-p", "no:unraisableexception", "--tb=line", *paths], [session])
    assert session.ran == set(proofs)
    assert sorted(set(proofs) - session.failed) == [], f"these proofs pass without {patch_name}"


@pytest.mark.xdist_group("emulator_patch_proofs")
def test_a_fork_that_cannot_start_says_why(emulator_forks):
    with pytest.raises(EmulatorError, match=r"exited \d+ 1; log:\n(.|\n)*unknown patch\(es\) \['no_such_patch'\]"):
        emulator_forks.emulator(skip_patches=["no_such_patch"])
    with emulator_forks.emulator() as emulator:
        assert emulator.boto3_client().describe_vpcs()["Vpcs"]
