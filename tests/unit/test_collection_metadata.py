"""The collection's metadata says what it promises: Galaxy identity, action group, build contents."""

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def load(path: str) -> dict:
    return yaml.safe_load((REPO / path).read_text())


def test_galaxy_identity_and_dependency():
    galaxy = load("galaxy.yml")
    assert (galaxy["namespace"], galaxy["name"]) == ("msp", "aws_accounts")
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert galaxy["dependencies"] == {"amazon.aws": ">=10.0.0"}


def test_collections_requirements_name_the_same_dependency():
    requirements = load("collections/requirements.yml")["collections"]
    assert {entry["name"]: entry["version"] for entry in requirements} == load("galaxy.yml")["dependencies"]


def test_action_group_extends_amazon_aws_and_lists_every_module():
    runtime = load("meta/runtime.yml")
    group = runtime["action_groups"]["aws"]
    metadata = [entry["metadata"] for entry in group if isinstance(entry, dict)]
    assert metadata == [{"extend_group": ["amazon.aws.aws"]}]
    listed = {entry for entry in group if isinstance(entry, str)}
    modules = {path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    assert listed == modules, "every module must be in the aws action group, so module_defaults reach it"


def test_requires_ansible_covers_the_supported_range():
    assert load("meta/runtime.yml")["requires_ansible"] == ">=2.17.0"


@pytest.fixture(scope="module")
def built_tarball(tmp_path_factory) -> tarfile.TarFile:
    output = tmp_path_factory.mktemp("dist")
    galaxy = Path(sys.executable).with_name("ansible-galaxy")
    subprocess.run(
        [str(galaxy), "collection", "build", "--output-path", str(output), str(REPO)], check=True, capture_output=True
    )
    [tarball] = output.glob("msp-aws_accounts-*.tar.gz")
    with tarfile.open(tarball) as archive:
        yield archive


def test_built_collection_leaves_tests_and_local_state_out(built_tarball):
    files = [member.name for member in built_tarball.getmembers() if member.isfile()]
    assert "galaxy.yml" not in files  # ansible-galaxy turns it into MANIFEST.json
    assert {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md", "requirements.txt"} <= set(files)
    local_only = {"tests", "build", ".venv", ".ci", "extensions", "Makefile", "ansible.cfg", "pyproject.toml"}
    leaked = [
        name
        for name in files
        if name.split("/")[0] in local_only or "__pycache__" in name or name.startswith("changelogs/fragments/")
    ]
    assert leaked == []


def test_sanity_ignore_files_stay_empty():
    """ansible-test sanity passes on its merits: nothing is waived for any ansible-core version."""
    ignore_files = sorted((REPO / "tests" / "sanity").glob("ignore-*.txt"))
    assert [path.name for path in ignore_files] == [f"ignore-2.{minor}.txt" for minor in range(17, 22)]
    assert {path.name: path.read_text() for path in ignore_files} == {path.name: "" for path in ignore_files}
