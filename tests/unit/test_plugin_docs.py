"""Every plugin's documentation renders with ansible-doc, as users (and Galaxy) will read it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dev_tree import DEV_TREE, REPO

ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"
PLUGIN_DIRS = {"module": "modules", "filter": "filter", "inventory": "inventory", "lookup": "lookup"}


def plugins():
    for plugin_type, folder in PLUGIN_DIRS.items():
        for path in sorted((REPO / "plugins" / folder).glob("*.py")):
            if path.stem != "__init__":
                yield plugin_type, path


def documented_names(plugin_type, path):
    """A filter file holds several filters, each documented in its own YAML file; other plugins document themselves."""
    if plugin_type == "filter":
        return sorted(p.stem for p in path.parent.glob("*.yml"))
    return [path.stem]


PLUGINS = [(plugin_type, name) for plugin_type, path in plugins() for name in documented_names(plugin_type, path)]


@pytest.mark.parametrize(("plugin_type", "name"), PLUGINS, ids=[f"{t}:{n}" for t, n in PLUGINS])
def test_ansible_doc_renders(plugin_type, name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(DEV_TREE), ANSIBLE_NOCOLOR="1")
    fqcn = f"msp.aws_accounts.{name}"
    proc = subprocess.run(
        [str(ANSIBLE_DOC), "-t", plugin_type, "--json", fqcn], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)[fqcn]
    assert doc["doc"]["short_description"]
    assert doc["examples"].strip(), f"{fqcn} has no EXAMPLES"
    if plugin_type == "module":
        assert doc["return"], f"{fqcn} has no RETURN"
