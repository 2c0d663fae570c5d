"""meta/execution-environment.yml, as it ships in the collection artifact, has two readers: `ansible-builder create`
turns it into a build context for an execution environment (offline: no image is built), and ansible-builder's
introspection of an execution environment that contains the collection reads the collection's Python dependencies
from it."""

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _requirements(path):
    """The requirement lines of a pip requirements file (comments and blank lines left out)."""
    lines = (line.split("#", 1)[0].strip() for line in Path(path).read_text().splitlines())
    return [line for line in lines if line]


def _pin(package):
    """``package==version`` as pinned in requirements-dev.txt."""
    (pin,) = [line for line in _requirements(REPO / "requirements-dev.txt") if line.startswith(f"{package}==")]
    return pin


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory):
    """The collection artifact (`ansible-galaxy collection build`, build_ignore applied), unpacked into a collections
    path as `ansible-galaxy collection install` lays it out; returns the collections path."""
    workdir = tmp_path_factory.mktemp("artifact")
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", workdir, REPO],
        check=True,
        capture_output=True,
    )
    (artifact,) = workdir.glob("cloudreactor-aws-*.tar.gz")
    collections = workdir / "collections"
    with tarfile.open(artifact) as archive:
        archive.extractall(collections / "ansible_collections" / "cloudreactor" / "aws", filter="data")
    return collections


def test_ansible_builder_creates_the_build_context(installed_collection, tmp_path):
    definition = installed_collection / "ansible_collections/cloudreactor/aws/meta/execution-environment.yml"
    context = tmp_path / "context"

    command = [BIN / "ansible-builder", "create", "-f", definition, "--context", context]

    process = subprocess.run(
        [*command, "--output-filename", "Containerfile"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert process.returncode == 0, process.stdout + process.stderr
    containerfile = (context / "Containerfile").read_text()
    assert f'ARG ANSIBLE_INSTALL_REFS="{_pin("ansible-core")} {_pin("ansible-runner")}"' in containerfile
    # The Python dependencies are installed together with those of every collection in the image.
    assert re.search(r"introspect\.py introspect --user-pip=requirements\.txt ", containerfile)
    assert _requirements(context / "_build/requirements.txt") == _requirements(REPO / "requirements.txt")
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    collections = yaml.safe_load((context / "_build/requirements.yml").read_text())["collections"]
    assert {collection["name"]: collection["version"] for collection in collections} == {
        "cloudreactor.aws": galaxy["version"],
        **galaxy["dependencies"],
    }


def test_introspection_of_the_installed_collection_finds_its_python_dependencies(installed_collection):
    process = subprocess.run(
        [BIN / "ansible-builder", "introspect", installed_collection], capture_output=True, text=True, check=False
    )

    assert process.returncode == 0, process.stdout + process.stderr
    # One entry per requirement: "boto3>=1.34.0  # from collection cloudreactor.aws".
    entries = yaml.safe_load(process.stdout)["python"]
    ours = [entry.split("#", 1)[0].strip() for entry in entries if entry.endswith("# from collection cloudreactor.aws")]
    assert ours == _requirements(REPO / "requirements.txt")
