"""execution-environment.yml builds the image AWX runs the job templates in: `ansible-builder create` accepts it
offline and its build context names this collection (from the repository's own tarball), amazon.aws 10,
boto3/botocore as requirements.txt asks, ansible-core 2.19 and ansible-runner, on Python 3.11."""

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
TARBALL = f"msp-aws_accounts-{VERSION}.tar.gz"


def pinned(requirements: Path, package: str) -> str | None:
    """The ``package==X`` pin of a pip requirements file, or None."""
    for line in requirements.read_text().splitlines():
        if match := re.fullmatch(rf"{re.escape(package)}==(\S+)", line.split("#")[0].strip()):
            return match.group(1)
    return None


@pytest.fixture(scope="module")
def definition() -> dict:
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    """``ansible-builder create`` run as the README says, on a copy of the repository's files it reads (the EE file,
    requirements.txt and the tarball `make install` builds, built here from the working copy): no network."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work)
    shutil.copy(REPO / "requirements.txt", work)
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work / "build" / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    output = work / "context"
    command = ["create", "-f", "execution-environment.yml", "-c", str(output), "--output-filename", "Containerfile"]
    proc = subprocess.run(
        [str(BIN / "ansible-builder"), *command],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "does not exist" not in proc.stderr and "No matches" not in proc.stderr, proc.stderr
    return output


def test_the_definition_is_schema_version_3(definition):
    assert definition["version"] == 3


def test_the_image_installs_this_collection_from_the_tarball_of_galaxy_yml_version(context):
    """The tarball's name in the EE carries galaxy.yml's version: a version bump that forgets the EE fails here."""
    assert (context / "_build" / "collections" / TARBALL).is_file()
    collections = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    assert {"name": f"collections/{TARBALL}", "type": "file"} in collections
    containerfile = (context / "Containerfile").read_text()
    # The galaxy stage copies the build context to /build and installs from there, where the relative name resolves.
    assert "COPY _build /build\nWORKDIR /build" in containerfile
    assert re.search(r"ansible-galaxy collection install .*-r requirements\.yml", containerfile)


def test_amazon_aws_is_the_10_x_that_ansible_brings(context):
    collections = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    [amazon] = [entry for entry in collections if entry["name"] == "amazon.aws"]
    assert str(amazon["version"]).startswith("10.")
    dev_pin = pinned(REPO / "tests" / "requirements-dev.txt", "ansible")
    if metadata.version("ansible") == dev_pin:  # the pinned venv: the very amazon.aws `make test` runs
        manifest_path = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections/amazon/aws/MANIFEST.json"
        manifest = json.loads(manifest_path.read_text())
        assert str(amazon["version"]) == manifest["collection_info"]["version"]


def test_python_requirements_are_the_collections_own(context):
    assert (context / "_build" / "requirements.txt").read_text() == (REPO / "requirements.txt").read_text()
    assert "COPY _build/requirements.txt requirements.txt" in (context / "Containerfile").read_text()


def test_python_3_11_with_ansible_core_2_19_and_ansible_runner(context):
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile).group(1).split()
    core = next(ref for ref in refs if ref.startswith("ansible-core=="))
    assert core.startswith("ansible-core==2.19.")
    assert f"ansible-runner=={pinned(REPO / 'tests' / 'requirements-dev.txt', 'ansible-runner')}" in refs
    if metadata.version("ansible") == pinned(REPO / "tests" / "requirements-dev.txt", "ansible"):
        assert core == f"ansible-core=={metadata.version('ansible-core')}"
