"""The benchmark's inventory: the sandbox inventory's MSP (its group_vars) with N created clients.

Every client is a new account the organization creates, with the catalogue's three roles (msp_default_roles),
the MSP's tags and alternate contacts, as inventories/sandbox's acme without its own contact.
"""

import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SANDBOX_GROUP_VARS = REPO / "inventories" / "sandbox" / "group_vars" / "all"


def client_names(count: int) -> list[str]:
    return [f"bench{index:04d}" for index in range(1, count + 1)]


def write_inventory(count: int, dest: Path) -> Path:
    """Write an inventory of ``count`` clients to ``dest`` (emptied first) and return its directory."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "host_vars").mkdir(parents=True)
    shutil.copytree(SANDBOX_GROUP_VARS, dest / "group_vars" / "all")
    names = client_names(count)
    hosts = {"all": {"children": {"clients": {"hosts": {name: {} for name in names}}}, "hosts": {"localhost": {}}}}
    (dest / "hosts.yml").write_text("---\n" + yaml.safe_dump(hosts, sort_keys=False))
    for name in names:
        client = {"client_name": f"Bench {name}", "client_join": "create", "client_tags": {"client": name}}
        (dest / "host_vars" / f"{name}.yml").write_text("---\n" + yaml.safe_dump(client, sort_keys=False))
    return dest


def role_catalogue() -> dict:
    """The MSP-wide settings the baseline and the floor share with ours: the catalogue, the identity account."""
    return yaml.safe_load((SANDBOX_GROUP_VARS / "msp.yml").read_text())
