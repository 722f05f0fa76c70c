"""The inventory plugin msp.aws_accounts.aws_organizations against the sandbox, through ansible-inventory.

The organization: nested OUs (/Clients/Production/EU), accounts created with tags, one invited (globex, which
accepts with its own keys), one closed (SUSPENDED), one made by hand in the root and one in an OU whose name has
a space. Each test runs the real ``ansible-inventory`` of the venv with the working copy's collections, reads its
JSON (or graph) and the sandbox's call log: the hosts, groups and variables the plugin's interface promises, its
filters, its cache, its combination with the static client inventory, and an organization of 1,000 accounts
whose reads grow with pages, not with accounts times calls.
"""

import json
import math
import os
import re
import subprocess
import sys
import sysconfig
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from ansible_output import plain
from conftest import DEV_TREE, REPO, Aws

from msp_sandbox.client import SandboxClient

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
# The working copy first, then the venv's collections (amazon.aws).
COLLECTIONS_PATH = f"{DEV_TREE}:{sysconfig.get_paths()['purelib']}"
PLUGIN = "msp.aws_accounts.aws_organizations"
MANAGEMENT = "123456789012"
# ListAccountsForParent's and ListOrganizationalUnitsForParent's largest page (the plugin asks for it).
PAGE_SIZE = 20
HOST_VARS = {
    "aws_account_id",
    "aws_account_arn",
    "aws_account_name",
    "aws_account_email",
    "aws_account_state",
    "aws_account_joined_method",
    "aws_account_joined_timestamp",
    "aws_account_parent_id",
    "aws_account_ou_path",
    "aws_account_tags",
    "aws_account_is_management",
}

# The created accounts: key -> (OU path, name, tags). Keys with a client tag name their host.
CREATED = {
    "acme": ("/Clients/Production", "ACME Corp", {"client": "acme", "cost-centre": "4711"}),
    "hooli": ("/Clients/Production", "Hooli", {"client": "hooli"}),
    "oldco": ("/Clients/Production", "Old Co", {"client": "oldco"}),
    "stark": ("/Clients/Production/EU", "Stark Industries EU", {"client": "stark", "lifecycle": "handover"}),
    "log-archive": ("/Shared Services", "Log Archive", {"team": "platform"}),
    "hand-made": ("/", "Hand Made", {"team": "platform"}),
}
OU_PATHS = ("/Clients", "/Clients/Production", "/Clients/Production/EU", "/Clients/Onboarding", "/Shared Services")


# --- running ansible-inventory --------------------------------------------------------------------------------


def inventory_env(endpoint: str, tmp_path: Path) -> dict:
    """No ambient AWS or Ansible configuration; a source that fails to parse fails the run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        MSP_SANDBOX_ENDPOINT_URL=endpoint,
    )
    return env


def ansible_inventory(sources, env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [str(ANSIBLE_INVENTORY)]
    for source in sources:
        command += ["-i", str(source)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def listed(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return plain(json.loads(proc.stdout))


def write_config(directory: Path, endpoint: str, world: dict, **options) -> Path:
    """An aws_organizations.yml with the management account's keys and the sandbox's endpoint."""
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "plugin": PLUGIN,
        "endpoint_url": endpoint,
        "access_key": world["management"]["credentials"]["aws_access_key_id"],
        "secret_key": world["management"]["credentials"]["aws_secret_access_key"],
        "region": "us-east-1",
        **options,
    }
    path = directory / "aws_organizations.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def hostvars(listing: dict) -> dict:
    return listing["_meta"]["hostvars"]


def hosts_of(listing: dict, group: str) -> set[str]:
    """Every host of a group, those of its child groups included."""
    entry = listing.get(group, {})
    found = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        found |= hosts_of(listing, child)
    return found


def children_of(listing: dict, group: str) -> set[str]:
    return set(listing.get(group, {}).get("children", []))


def groups_of(listing: dict, host: str) -> set[str]:
    return {group for group in listing if group != "_meta" and host in listing[group].get("hosts", [])}


def graph_edges(text: str) -> set[tuple[str, str]]:
    """(parent group, child group or host) pairs of ``ansible-inventory --graph``'s tree."""
    edges, stack = set(), []
    for line in text.splitlines():
        branch = line.find("|--")
        depth, name = (0, line.strip()) if branch < 0 else (branch // 3 + 1, line[branch + 3 :].strip())
        if not name:
            continue
        del stack[depth:]
        is_group = name.startswith("@")
        name = name[1:].rstrip(":") if is_group else name
        if stack:
            edges.add((stack[-1], name))
        if is_group:
            stack.append(name)
    return edges


def organizations_calls(sandbox, mark: int) -> dict:
    return sandbox.call_summary(since=mark, service="organizations")["by_action"]


def probe(sandbox, action: str, parent_id: str) -> int:
    """A fault rule that only counts: it matches every ``action`` on ``parent_id`` and adds 1 ms to it."""
    rule = sandbox.add_fault(
        service="organizations", action=action, params={"ParentId": parent_id}, latency_ms=1, every=1
    )
    return rule["id"]


def matched(sandbox) -> dict[int, int]:
    return {rule["id"]: rule["matched"] for rule in sandbox.faults()}


def parent_path(path: str) -> str:
    return path.rpartition("/")[0] or "/"


def pages(count: int) -> int:
    """Calls to list ``count`` items in pages of PAGE_SIZE: an empty listing is one call too."""
    return max(1, math.ceil(count / PAGE_SIZE))


# --- the organization ---------------------------------------------------------------------------------------


def create_accounts(org, requests: list[dict], batch: int = 100) -> None:
    """CreateAccount for each request, completed batch by batch.

    With create_account_in_progress_polls 0 the sandbox completes the requests in flight at the next listing; a
    batch at a time keeps that listing short (each account gets its IAM backend, with AWS's managed policies).
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        for start in range(0, len(requests), batch):
            chunk = requests[start : start + batch]
            states = list(pool.map(lambda request: org.create_account(**request)["CreateAccountStatus"], chunk))
            assert {state["State"] for state in states} == {"IN_PROGRESS"}
            org.list_create_account_status(States=["IN_PROGRESS"], MaxResults=1)
    assert org.list_create_account_status(States=["IN_PROGRESS", "FAILED"])["CreateAccountStatuses"] == []


def all_accounts(org) -> dict[str, dict]:
    """Every account by id (ListAccounts also completes the CreateAccount requests in flight)."""
    pages_ = org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return {account["Id"]: account for account in pages_.build_full_result()["Accounts"]}


def create_ou_paths(org, root_id: str, paths) -> dict[str, str]:
    """OU path -> id, parents first; "/" is the root."""
    ids = {"/": root_id}
    for path in paths:
        parent, _sep, name = path.rpartition("/")
        ou = org.create_organizational_unit(ParentId=ids[parent or "/"], Name=name)["OrganizationalUnit"]
        ids[path] = ou["Id"]
    return ids


def move(org, moves: list[tuple[str, str, str]]) -> None:
    """MoveAccount for each (account id, source parent id, destination parent id)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda m: org.move_account(AccountId=m[0], SourceParentId=m[1], DestinationParentId=m[2]), moves))


def build_organization(sandbox, endpoint: str) -> dict:
    world = sandbox.reset()
    sandbox.configure(create_account_in_progress_polls=0)
    aws = Aws(endpoint, world)
    org = aws.management("organizations", retries=2)
    root_id = world["organization"]["root_id"]
    ou_ids = create_ou_paths(org, root_id, OU_PATHS)

    emails = {key: f"awsaccounts+{key}@msp.example" for key in CREATED}
    create_accounts(
        org,
        [
            {
                "AccountName": name,
                "Email": emails[key],
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
            }
            for key, (_path, name, tags) in CREATED.items()
        ],
    )
    by_email = {account["Email"]: account for account in all_accounts(org).values()}
    ids = {key: by_email[emails[key]]["Id"] for key in CREATED}
    move(org, [(ids[key], root_id, ou_ids[path]) for key, (path, _n, _t) in CREATED.items() if path != "/"])

    # globex: the client's own account, invited; the client's keys accept; then in Onboarding, tagged.
    globex = world["clients"]["globex"]
    handshake = org.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": globex["account_id"]})
    aws.client_account("globex", "organizations").accept_handshake(HandshakeId=handshake["Handshake"]["Id"])
    ids["globex"] = globex["account_id"]
    move(org, [(ids["globex"], root_id, ou_ids["/Clients/Onboarding"])])
    org.tag_resource(ResourceId=ids["globex"], Tags=[{"Key": "client", "Value": "globex"}])

    # oldco: closed; SUSPENDED once the closure's wait has passed on the sandbox clock.
    org.close_account(AccountId=ids["oldco"])
    sandbox.advance_clock(float(sandbox.settings()["close_account_pending_seconds"]) + 1)
    accounts = all_accounts(org)
    assert accounts[ids["oldco"]]["State"] == "SUSPENDED"
    assert accounts[ids["globex"]]["JoinedMethod"] == "INVITED"
    return {"world": world, "ids": ids, "ou_ids": ou_ids, "accounts": accounts, "endpoint": endpoint}


_built: dict = {}


@pytest.fixture
def organization(sandbox_client, sandbox_endpoint) -> dict:
    """The organization above, built once and rebuilt only when another test reset the sandbox since."""
    if not _built or sandbox_client.world()["organization"]["id"] != _built["world"]["organization"]["id"]:
        _built.clear()
        _built.update(build_organization(sandbox_client, sandbox_endpoint))
    sandbox_client.clear_faults()
    return _built


def host_name(key: str, organization: dict) -> str:
    """The host an account gets with hostnames [tag:client, account_id]."""
    tags = CREATED[key][2] if key in CREATED else {"client": "globex"}
    return tags.get("client") or organization["ids"][key]


@pytest.fixture
def config_dir(tmp_path) -> Path:
    return tmp_path / "organization"


def run_list(organization, tmp_path, config_dir, *args, **options) -> dict:
    config = write_config(config_dir, organization["endpoint"], organization["world"], **options)
    return listed(ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list", *args))


# --- hosts, groups, variables -------------------------------------------------------------------------------

NAMED_BY_CLIENT = {"hostnames": ["tag:client", "account_id"]}


def test_graph_nests_ou_groups_as_the_ous_nest(organization, tmp_path, config_dir):
    config = write_config(config_dir, organization["endpoint"], organization["world"], **NAMED_BY_CLIENT)
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--graph")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    edges = graph_edges(proc.stdout)
    hand_made = organization["ids"]["hand-made"]
    log_archive = organization["ids"]["log-archive"]
    assert {
        ("all", "aws_organization"),
        ("aws_organization", "ou_clients"),
        ("aws_organization", "ou_shared_services"),
        ("ou_clients", "ou_clients_production"),
        ("ou_clients", "ou_clients_onboarding"),
        ("ou_clients_production", "ou_clients_production_eu"),
        ("ou_clients_production", "acme"),
        ("ou_clients_production", "hooli"),
        ("ou_clients_production", "oldco"),
        ("ou_clients_production_eu", "stark"),
        ("ou_clients_onboarding", "globex"),
        ("ou_shared_services", log_archive),
        ("aws_organization", hand_made),
    } <= edges, proc.stdout
    # The EU account is in its own OU's group only, not also directly in its ancestors'.
    assert ("ou_clients_production", "stark") not in edges
    assert ("ou_clients", "acme") not in edges


def test_list_gives_one_host_per_account_with_the_promised_variables(organization, tmp_path, config_dir):
    listing = run_list(
        organization,
        tmp_path,
        config_dir,
        **NAMED_BY_CLIENT,
        keyed_groups=[{"key": "aws_account_tags.client | default(omit)", "prefix": "client"}],
        groups={"untagged": "'client' not in aws_account_tags"},
        compose={"ansible_connection": "'local'", "organization_account_id": "aws_account_id"},
    )
    ids, ou_ids, accounts = organization["ids"], organization["ou_ids"], organization["accounts"]
    keys = [*CREATED, "globex"]
    names = {host_name(key, organization): key for key in keys}
    # Every member account once; the management account only when asked for.
    assert set(hostvars(listing)) == set(names)
    assert hosts_of(listing, "aws_organization") == set(names)

    paths = dict({key: spec[0] for key, spec in CREATED.items()}, globex="/Clients/Onboarding")
    tags = dict({key: spec[2] for key, spec in CREATED.items()}, globex={"client": "globex"})
    for host, key in names.items():
        account = accounts[ids[key]]
        variables = hostvars(listing)[host]
        assert {name for name in variables if name.startswith("aws_account_")} == HOST_VARS, host
        assert variables["aws_account_id"] == ids[key]
        assert variables["aws_account_arn"] == account["Arn"]
        assert variables["aws_account_name"] == account["Name"]
        assert variables["aws_account_email"] == account["Email"]
        assert variables["aws_account_state"] == account["State"]
        assert variables["aws_account_joined_method"] == account["JoinedMethod"]
        joined = variables["aws_account_joined_timestamp"]
        assert isinstance(joined, str)
        assert abs((datetime.fromisoformat(joined) - account["JoinedTimestamp"]).total_seconds()) < 0.001, joined
        assert variables["aws_account_parent_id"] == ou_ids[paths[key]]
        assert variables["aws_account_ou_path"] == paths[key]
        assert variables["aws_account_tags"] == tags[key]
        assert variables["aws_account_is_management"] is False
        # compose
        assert variables["ansible_connection"] == "local"
        assert variables["organization_account_id"] == ids[key]

    assert hostvars(listing)["globex"]["aws_account_joined_method"] == "INVITED"
    assert hostvars(listing)["oldco"]["aws_account_state"] == "SUSPENDED"
    # State and joined-method groups.
    assert hosts_of(listing, "state_suspended") == {"oldco"}
    assert hosts_of(listing, "state_active") == set(names) - {"oldco"}
    assert hosts_of(listing, "joined_invited") == {"globex"}
    assert hosts_of(listing, "joined_created") == set(names) - {"globex"}
    assert "management_account" not in listing or not hosts_of(listing, "management_account")
    # OU groups nest; an account in the root is in aws_organization only.
    assert hosts_of(listing, "ou_clients") == {"acme", "hooli", "oldco", "stark", "globex"}
    assert hosts_of(listing, "ou_clients_production") == {"acme", "hooli", "oldco", "stark"}
    assert hosts_of(listing, "ou_clients_production_eu") == {"stark"}
    assert hosts_of(listing, "ou_shared_services") == {ids["log-archive"]}
    assert not any(group.startswith("ou_") for group in groups_of(listing, ids["hand-made"]))
    # keyed_groups and groups.
    for client in ("acme", "hooli", "oldco", "stark", "globex"):
        assert hosts_of(listing, f"client_{client}") == {client}
    assert hosts_of(listing, "untagged") == {ids["log-archive"], ids["hand-made"]}


def test_the_management_account_is_a_host_only_when_asked_for(organization, tmp_path, config_dir):
    listing = run_list(organization, tmp_path, config_dir, include_management_account=True)
    variables = hostvars(listing)[MANAGEMENT]
    assert variables["aws_account_is_management"] is True
    assert variables["aws_account_ou_path"] == "/"
    assert variables["aws_account_parent_id"] == organization["world"]["organization"]["root_id"]
    assert variables["aws_account_email"] == organization["world"]["management"]["email"]
    assert hosts_of(listing, "management_account") == {MANAGEMENT}
    # Named by id (the default hostnames): every member account too.
    assert set(hostvars(listing)) == {MANAGEMENT, *organization["ids"].values()}


def test_two_accounts_with_one_name_the_lower_id_keeps_it_with_a_warning(
    organization, tmp_path, config_dir, sandbox_client
):
    # Both the log archive and the hand-made account carry team=platform.
    config = write_config(
        config_dir, organization["endpoint"], organization["world"], hostnames=["tag:team", "account_id"]
    )
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list")
    listing = listed(proc)
    low, high = sorted([organization["ids"]["log-archive"], organization["ids"]["hand-made"]])
    assert hostvars(listing)["platform"]["aws_account_id"] == low
    assert hostvars(listing)[high]["aws_account_id"] == high
    warning = " ".join(line for line in proc.stderr.splitlines() if low in line or high in line)
    assert low in warning and high in warning, proc.stderr


FILTERS = {
    "include-subtree": (
        {"include_ous": ["/Clients/Production"]},
        {"acme", "hooli", "oldco", "stark"},
    ),
    "include-two-ous": (
        {"include_ous": ["/Clients/Production/EU", "/Clients/Onboarding"]},
        {"stark", "globex"},
    ),
    "exclude-subtree": (
        {"exclude_ous": ["/Clients/Production"]},
        {"globex", "log-archive", "hand-made"},
    ),
    "include-minus-exclude": (
        {"include_ous": ["/Clients"], "exclude_ous": ["/Clients/Production/EU"]},
        {"acme", "hooli", "oldco", "globex"},
    ),
    "states": (
        {"states": ["SUSPENDED"]},
        {"oldco"},
    ),
    "include-tags": (
        {"include_tags": {"client": ["acme", "globex", "nobody"]}},
        {"acme", "globex"},
    ),
    "include-tags-every-key": (
        {"include_tags": {"client": ["acme", "hooli"], "cost-centre": "4711"}},
        {"acme"},
    ),
    "exclude-tags": (
        {"exclude_tags": {"client": "acme", "lifecycle": ["handover"]}},
        {"hooli", "oldco", "globex", "log-archive", "hand-made"},
    ),
    "everything-at-once": (
        {
            "include_ous": ["/Clients"],
            "states": ["ACTIVE"],
            "exclude_tags": {"client": "hooli"},
        },
        {"acme", "stark", "globex"},
    ),
}


def below(path: str, ancestor: str) -> bool:
    """Whether ``path`` is ``ancestor`` or an OU under it ("/" is the root, above everything)."""
    return ancestor == "/" or path == ancestor or path.startswith(ancestor + "/")


def expected_listings(options: dict) -> dict[tuple[str, str], int]:
    """(action, parent path) -> calls: every parent walked is listed exactly once, nothing outside is listed.

    The accounts of the included subtrees (the whole organization by default) minus the excluded ones; the OUs
    of those, and of the included OUs' ancestors (to find them).
    """
    include = options.get("include_ous") or ["/"]
    exclude = options.get("exclude_ous", [])
    expected = {}
    for path in ("/", *OU_PATHS):
        walked = any(below(path, inc) for inc in include) and not any(below(path, exc) for exc in exclude)
        ancestor = any(below(inc, path) and inc != path for inc in include)
        expected["ListAccountsForParent", path] = int(walked)
        expected["ListOrganizationalUnitsForParent", path] = int(walked or ancestor)
    return expected


def ou_group(path: str) -> str:
    return "ou_" + "_".join(re.sub("[^a-z0-9_]", "_", level.lower()) for level in path.strip("/").split("/"))


@pytest.mark.parametrize("options, keys", FILTERS.values(), ids=FILTERS.keys())
def test_filters_keep_exactly_the_accounts_they_describe(
    organization, tmp_path, config_dir, sandbox_client, options, keys
):
    parents = dict(organization["ou_ids"])
    probes = {
        probe(sandbox_client, action, parents[path]): (action, path)
        for path in parents
        for action in ("ListAccountsForParent", "ListOrganizationalUnitsForParent")
    }
    listing = run_list(organization, tmp_path, config_dir, **NAMED_BY_CLIENT, **options)
    assert set(hostvars(listing)) == {host_name(key, organization) for key in keys}
    # Each parent inside the filters listed once; the OUs outside them (and below excluded ones) never.
    counts = matched(sandbox_client)
    assert {where: counts[rule] for rule, where in probes.items()} == expected_listings(options)
    for path in OU_PATHS:
        if any(below(path, excluded) for excluded in options.get("exclude_ous", [])):
            assert ou_group(path) not in listing, path


def test_an_include_ou_that_does_not_exist_is_an_error_naming_it(organization, tmp_path, config_dir):
    config = write_config(config_dir, organization["endpoint"], organization["world"], include_ous=["/Clients/Staging"])
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list")
    assert proc.returncode != 0
    assert "include_ous: organizational unit /Clients/Staging does not exist" in proc.stderr, proc.stderr


def test_without_tags_nothing_is_read_per_account(organization, tmp_path, config_dir, sandbox_client):
    mark = sandbox_client.mark()
    listing = run_list(organization, tmp_path, config_dir, read_tags=False)
    assert set(hostvars(listing)) == set(organization["ids"].values())
    assert all(variables["aws_account_tags"] == {} for variables in hostvars(listing).values())
    calls = organizations_calls(sandbox_client, mark)
    assert set(calls) == {
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
    }, calls
    # One listing of each parent: the root and the five OUs.
    assert calls["organizations:ListAccountsForParent"] == 1 + len(OU_PATHS)
    assert calls["organizations:ListOrganizationalUnitsForParent"] == 1 + len(OU_PATHS)


@pytest.mark.parametrize(
    "options",
    [{"hostnames": ["tag:client", "account_id"]}, {"include_tags": {"client": "acme"}}],
    ids=["tag-hostnames", "tag-filter"],
)
def test_tag_options_without_read_tags_are_an_error_naming_it(organization, tmp_path, config_dir, options):
    config = write_config(config_dir, organization["endpoint"], organization["world"], read_tags=False, **options)
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list")
    assert proc.returncode != 0
    assert re.search(r"(hostnames|include_tags): .*read_tags is false", proc.stderr), proc.stderr


def test_an_account_outside_any_organization_gets_an_error_saying_what_to_fix(organization, tmp_path, config_dir):
    world = dict(
        organization["world"], management={"credentials": organization["world"]["clients"]["initech"]["credentials"]}
    )
    config = write_config(config_dir, organization["endpoint"], world)
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list")
    assert proc.returncode != 0
    assert "is in no AWS Organization: use the management account's credentials" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_member_accounts_keys_get_an_error_saying_what_to_fix(organization, tmp_path, config_dir, sandbox_client):
    """globex joined the organization: as in AWS, its keys may not read it (AccessDeniedException on ListRoots)."""
    globex = organization["world"]["clients"]["globex"]
    world = dict(organization["world"], management={"credentials": globex["credentials"]})
    config = write_config(config_dir, organization["endpoint"], world)
    mark = sandbox_client.mark()
    proc = ansible_inventory([config], inventory_env(organization["endpoint"], tmp_path), "--list")
    assert proc.returncode != 0
    message = " ".join(proc.stderr.split())  # Ansible wraps long messages
    assert (
        "the credentials may not read the organization: use the management account or a delegated administrator "
        "for AWS Organizations" in message
    ), proc.stderr
    assert "AccessDeniedException" in message, proc.stderr
    assert "Traceback" not in proc.stderr
    calls = sandbox_client.calls(since=mark, service="organizations")["calls"]
    assert {(c["action"], c["account"], c["error_code"]) for c in calls} == {
        ("ListRoots", globex["account_id"], "AccessDeniedException")
    }


# --- the cache -----------------------------------------------------------------------------------------------


def test_the_cache_answers_without_a_call_until_flushed(organization, tmp_path, config_dir, sandbox_client):
    cache = {
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 3600,
        **NAMED_BY_CLIENT,
    }
    env = inventory_env(organization["endpoint"], tmp_path)
    config = write_config(config_dir, organization["endpoint"], organization["world"], **cache)

    mark = sandbox_client.mark()
    first = listed(ansible_inventory([config], env, "--list"))
    assert sum(organizations_calls(sandbox_client, mark).values()) > 0
    assert any((tmp_path / "cache").iterdir())

    # A change in the organization is not seen while the cache answers: no call at all, not even ListRoots.
    org = Aws(organization["endpoint"], organization["world"]).management("organizations")
    org.tag_resource(ResourceId=organization["ids"]["hooli"], Tags=[{"Key": "cost-centre", "Value": "0815"}])
    try:
        cached_while_changed(organization, sandbox_client, config_dir, env, cache, first)
    finally:
        org.untag_resource(ResourceId=organization["ids"]["hooli"], TagKeys=["cost-centre"])


def cached_while_changed(organization, sandbox_client, config_dir, env, cache, first) -> None:
    config = config_dir / "aws_organizations.yml"
    mark = sandbox_client.mark()
    second = listed(ansible_inventory([config], env, "--list"))
    assert sandbox_client.call_summary(since=mark)["total"] == 0
    assert second == first

    # compose and groups apply to the cached listing: still no call.
    config = write_config(
        config_dir,
        organization["endpoint"],
        organization["world"],
        **cache,
        compose={"account_label": "aws_account_name ~ ' (' ~ aws_account_id ~ ')'"},
        groups={"production": "aws_account_ou_path.startswith('/Clients/Production')"},
    )
    mark = sandbox_client.mark()
    recomposed = listed(ansible_inventory([config], env, "--list"))
    assert sandbox_client.call_summary(since=mark)["total"] == 0
    assert hostvars(recomposed)["acme"]["account_label"] == f"ACME Corp ({organization['ids']['acme']})"
    assert hosts_of(recomposed, "production") == {"acme", "hooli", "oldco", "stark"}

    # --flush-cache reads AWS again and sees the change.
    mark = sandbox_client.mark()
    flushed = listed(ansible_inventory([config], env, "--list", "--flush-cache"))
    assert organizations_calls(sandbox_client, mark)["organizations:ListRoots"] == 1
    assert hostvars(flushed)["hooli"]["aws_account_tags"] == {"client": "hooli", "cost-centre": "0815"}


# --- beside the static client inventory ----------------------------------------------------------------------


def test_with_the_static_inventory_each_client_is_one_host_with_both_kinds_of_variables(
    organization, tmp_path, sandbox_client
):
    # The sandbox's own config (endpoint and keys from the sandbox), beside inventories/sandbox.
    sources = [REPO / "inventories" / "sandbox", REPO / "inventories" / "sandbox-organization"]
    env = inventory_env(organization["endpoint"], tmp_path)
    listing = listed(ansible_inventory(sources, env, "--list"))
    ids = organization["ids"]
    # One host per client, whichever source named it; the accounts no client declares under their id.
    undeclared = {ids["log-archive"], ids["hand-made"], MANAGEMENT}
    assert set(hostvars(listing)) | {"localhost"} == {
        "localhost",
        "acme",
        "hooli",
        "globex",
        "oldco",
        "stark",
        *undeclared,
    }
    assert hosts_of(listing, "clients") == {"acme", "globex", "hooli"}
    globex = hostvars(listing)["globex"]
    assert globex["client_name"] == "Globex Corporation" and globex["client_join"] == "invite"
    assert globex["aws_account_id"] == globex["client_account_id"] == ids["globex"]
    assert globex["aws_account_ou_path"] == "/Clients/Onboarding"
    assert globex["ansible_connection"] == "local"
    acme = hostvars(listing)["acme"]
    assert acme["client_name"] == "ACME Corp" and acme["aws_account_id"] == ids["acme"]
    assert acme["aws_account_tags"] == acme["client_tags"] == {"client": "acme", "cost-centre": "4711"}
    assert hosts_of(listing, "client_acme") == {"acme"}
    assert hosts_of(listing, "management_account") == {MANAGEMENT}
    for account_id in undeclared:
        assert "client_name" not in hostvars(listing)[account_id]

    graph = ansible_inventory(sources, env, "--graph")
    assert graph.returncode == 0, graph.stderr
    edges = graph_edges(graph.stdout)
    assert {("clients", "acme"), ("ou_clients_production", "acme"), ("ou_clients_onboarding", "globex")} <= edges


# --- 1,000 accounts ------------------------------------------------------------------------------------------

# OU path -> accounts directly in it ("/" is the root; the management account is there too). Onboarding holds
# 25 child OUs, more than one page of ListOrganizationalUnitsForParent.
BATCHES = [f"/Clients/Onboarding/Batch {n:02d}" for n in range(1, 26)]
LAYOUT = {
    "/": 100,
    "/Clients": 0,
    "/Clients/Production": 350,
    "/Clients/Production/EU": 250,
    "/Clients/Onboarding": 30,
    **dict.fromkeys(BATCHES, 8),
    "/Internal": 70,
}
THOUSAND = sum(LAYOUT.values())


@pytest.fixture
def large_sandbox(sandbox, sandbox_endpoint):
    """The test's sandbox, emptied again afterwards here: resetting 1,000 accounts (each with its IAM backend)
    takes longer than the control client's usual 30 s, which the next test's reset would otherwise meet."""
    yield sandbox
    began = time.monotonic()
    SandboxClient(sandbox_endpoint, timeout=600).reset()
    print(f"reset after 1,000 accounts: {time.monotonic() - began:.1f} s")


def test_a_thousand_accounts_are_read_in_pages_not_per_account(large_sandbox, sandbox_endpoint, tmp_path, config_dir):
    sandbox = large_sandbox
    assert THOUSAND == 1000
    started = time.monotonic()
    world = sandbox.world()
    sandbox.configure(organization_account_quota=THOUSAND + 1, create_account_in_progress_polls=0)
    aws = Aws(sandbox_endpoint, world)
    org = aws.management("organizations", retries=2)
    root_id = world["organization"]["root_id"]
    ou_ids = create_ou_paths(org, root_id, [path for path in LAYOUT if path != "/"])
    placed = [(path, n) for path, count in LAYOUT.items() for n in range(count)]
    create_accounts(
        org,
        [
            {
                "AccountName": f"Client {i:04d}",
                "Email": f"awsaccounts+c{i:04d}@msp.example",
                "Tags": [{"Key": "client", "Value": f"c{i:04d}"}, {"Key": "ou", "Value": path}],
            }
            for i, (path, _n) in enumerate(placed)
        ],
    )
    by_email = {account["Email"]: account["Id"] for account in all_accounts(org).values()}
    created = time.monotonic()
    assert len(by_email) == THOUSAND + 1
    move(
        org,
        [
            (by_email[f"awsaccounts+c{i:04d}@msp.example"], root_id, ou_ids[path])
            for i, (path, _n) in enumerate(placed)
            if path != "/"
        ],
    )
    seeded = time.monotonic()

    parents = ou_ids  # "/" is the root
    child_ous = {path: sum(1 for other in LAYOUT if other != "/" and parent_path(other) == path) for path in LAYOUT}
    in_parent = dict(LAYOUT, **{"/": LAYOUT["/"] + 1})  # the management account is in the root
    expected_account_pages = {path: pages(in_parent[path]) for path in LAYOUT}
    expected_ou_pages = {path: pages(child_ous[path]) for path in LAYOUT}
    assert expected_ou_pages["/Clients/Onboarding"] == 2

    figures = {}
    env = inventory_env(sandbox_endpoint, tmp_path)
    for read_tags in (True, False):
        sandbox.clear_faults()
        account_probes = {probe(sandbox, "ListAccountsForParent", parents[path]): path for path in LAYOUT}
        ou_probes = {probe(sandbox, "ListOrganizationalUnitsForParent", parents[path]): path for path in LAYOUT}
        hostnames = ["tag:client", "account_id"] if read_tags else ["account_id"]
        config = write_config(config_dir, sandbox_endpoint, world, hostnames=hostnames, read_tags=read_tags)
        mark = sandbox.mark()
        began = time.monotonic()
        listing = listed(ansible_inventory([config], env, "--list"))
        wall = time.monotonic() - began
        calls = organizations_calls(sandbox, mark)
        counts = matched(sandbox)

        assert len(hostvars(listing)) == THOUSAND
        # Each OU and each parent's accounts listed once, in pages of 20.
        assert {path: counts[rule] for rule, path in account_probes.items()} == expected_account_pages
        assert {path: counts[rule] for rule, path in ou_probes.items()} == expected_ou_pages
        expected = {
            "organizations:ListRoots": 1,
            "organizations:ListOrganizationalUnitsForParent": sum(expected_ou_pages.values()),
            "organizations:ListAccountsForParent": sum(expected_account_pages.values()),
        }
        if read_tags:
            # One ListTagsForResource per account: 1,000 calls, and each host has its own account's tags.
            expected["organizations:ListTagsForResource"] = THOUSAND
            for host, variables in hostvars(listing).items():
                assert variables["aws_account_tags"]["client"] == host
                assert variables["aws_account_ou_path"] == variables["aws_account_tags"]["ou"]
        else:
            assert all(variables["aws_account_tags"] == {} for variables in hostvars(listing).values())
        assert calls == expected
        figures[read_tags] = (wall, sum(calls.values()))
        assert sandbox.call_summary(since=mark)["total"] == sum(calls.values())  # nothing but Organizations reads

    print(
        f"\n1,000 accounts: CreateAccount x1000 and completion {created - started:.1f} s, "
        f"MoveAccount x{THOUSAND - LAYOUT['/']} {seeded - created:.1f} s; "
        f"ansible-inventory --list with read_tags: {figures[True][0]:.1f} s, {figures[True][1]} calls "
        f"({expected['organizations:ListAccountsForParent']} ListAccountsForParent, "
        f"{expected['organizations:ListOrganizationalUnitsForParent']} ListOrganizationalUnitsForParent, "
        f"1 ListRoots, {THOUSAND} ListTagsForResource); "
        f"without: {figures[False][0]:.1f} s, {figures[False][1]} calls"
    )
