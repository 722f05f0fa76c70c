"""The aws_organizations inventory plugin, run by ansible-inventory against moto's Organizations in this process.

A recorder in front of moto logs every AWS call (service, action, ParentId) and can answer an error instead,
so the tests count the plugin's reads and see its errors as a user would.
"""

import io
import json
import math
import os
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import pytest
from ansible_output import plain
from dev_tree import DEV_TREE
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
MANAGEMENT_ID = "123456789012"
PAGE = 20  # the plugin's page size for ListAccountsForParent and ListOrganizationalUnitsForParent
BULK_ACCOUNTS = 45  # three pages
BULK_OUS = 22  # two pages
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
ROLE_PREFIX = f"arn:aws:iam::{MANAGEMENT_ID}:role/"


class Recorder:
    """WSGI middleware: logs each call and answers the queued faults (JSON protocol) instead of moto."""

    def __init__(self, app):
        self.app = app
        self.calls = []
        self.faults = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        service = authorization.split("Credential=")[1].split("/")[3] if "Credential=" in authorization else None
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            action = target.rpartition(".")[2]
            params = json.loads(body or b"{}")
        else:
            params = {key: values[0] for key, values in parse_qs(body.decode()).items()}
            action = params.get("Action")
        with self.lock:
            self.calls.append((service, action, params.get("ParentId")))
            queued = self.faults.get(action)
            code = queued.pop(0) if queued else None
        if code and target:
            start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1")])
            return [json.dumps({"__type": code, "Message": f"{code} injected by the test"}).encode()]
        if code:  # the query protocol (STS)
            start_response("403 Forbidden", [("Content-Type", "text/xml")])
            return [
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{code} injected by the test"
                "</Message></Error><RequestId>test</RequestId></ErrorResponse>".encode()
            ]
        return self.app(environ, start_response)

    def take(self):
        with self.lock:
            calls, self.calls = self.calls, []
        return calls


def actions(calls, service="organizations"):
    counted = {}
    for called_service, action, _parent in calls:
        if called_service == service:
            counted[action] = counted.get(action, 0) + 1
    return counted


@pytest.fixture(scope="module")
def aws():
    recorder = Recorder(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    world = build_world(url)
    recorder.take()
    yield {"url": url, "recorder": recorder, **world}
    server.shutdown()
    thread.join()


def lower(keys):
    return {key.lower(): value for key, value in keys.items()}


def build_world(url):
    """root: the management account, two accounts named Orphan; /Clients (Shared Services), /Clients/Production
    (acme, globex), /Clients/Production/Sandbox (ACME Sandbox), /Clients/Staging (initech, a closed account);
    /Bulk: 45 accounts and 22 empty OUs, to make pages."""
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=url, **lower(KEYS))
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]

    def make_ou(parent, name):
        return org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    def make_account(name, parent, **tags):
        created = org.create_account(
            AccountName=name,
            Email=f"aws+{name.lower().replace(' ', '-')}@msp.example",
            Tags=[{"Key": key.replace("_", "-"), "Value": value} for key, value in tags.items()],
        )
        account_id = created["CreateAccountStatus"]["AccountId"]
        if parent != root:
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    ids = {"root": root}
    ids["clients"] = make_ou(root, "Clients")
    ids["production"] = make_ou(ids["clients"], "Production")
    ids["sandbox"] = make_ou(ids["production"], "Sandbox")
    ids["staging"] = make_ou(ids["clients"], "Staging")
    ids["bulk"] = make_ou(root, "Bulk")
    accounts = {
        "orphan_tagged": make_account("Orphan", root, owner="nobody"),
        "orphan": make_account("Orphan", root),
        "shared": make_account("Shared Services", ids["clients"]),
        "acme": make_account("ACME Corp", ids["production"], client="acme", cost_centre="4711"),
        "globex": make_account("Globex", ids["production"], client="globex"),
        "acme_sandbox": make_account("ACME Sandbox", ids["sandbox"], client="acme-sandbox"),
        "initech": make_account("Initech", ids["staging"], client="initech", lifecycle="handover"),
        "closed": make_account("Umbrella", ids["staging"], client="umbrella"),
    }
    org.close_account(AccountId=accounts["closed"])
    for number in range(BULK_ACCOUNTS):
        make_account(f"bulk-{number:02d}", ids["bulk"], team="bulk")
    for number in range(BULK_OUS):
        make_ou(ids["bulk"], f"Team {number:02d}")
    return {"ids": ids, "accounts": accounts}


def ansible_env(aws, extra_env=None):
    """The environment of an ansible command: moto's endpoint and keys, this checkout's collection."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        KEYS,
        AWS_URL=aws["url"],
        ANSIBLE_COLLECTIONS_PATH=f"{DEV_TREE}:{sysconfig.get_paths()['purelib']}",
        ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
        ANSIBLE_NOCOLOR="1",
        **(extra_env or {}),
    )
    return env


def run_inventory(aws, tmp_path, config, *args, extra_env=None):
    """ansible-inventory -i <tmp>/test.aws_organizations.yml --list; returns (result, stderr, AWS calls)."""
    source = tmp_path / "test.aws_organizations.yml"
    source.write_text(json.dumps({"plugin": "msp.aws_accounts.aws_organizations", **config}))
    aws["recorder"].take()
    proc = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(source), *(args or ("--list",))],
        capture_output=True,
        text=True,
        env=ansible_env(aws, extra_env),
        cwd=tmp_path,
        check=False,
    )
    calls = aws["recorder"].take()
    result = plain(json.loads(proc.stdout)) if proc.returncode == 0 and "--list" in (args or ("--list",)) else None
    return proc, result, calls


def jsonfile_cache(tmp_path):
    """The plugin options that cache the listing in <tmp>/cache for an hour."""
    return {
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 3600,
    }


def hosts_of(result, group):
    return sorted(result.get(group, {}).get("hosts", []))


def children_of(result, group):
    return sorted(result.get(group, {}).get("children", []))


CLIENTS_ONLY = {"exclude_ous": ["/Bulk"]}


# --- what the inventory holds ---------------------------------------------------------------------------------


def test_host_vars_groups_and_names_from_tags(aws, tmp_path):
    config = {**CLIENTS_ONLY, "hostnames": ["tag:client", "account_id"], "include_management_account": True}
    proc, result, _calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    accounts, ids = aws["accounts"], aws["ids"]
    hostvars = result["_meta"]["hostvars"]
    members = [MANAGEMENT_ID, accounts["orphan"], accounts["orphan_tagged"], accounts["shared"]]
    assert sorted(hostvars) == sorted([*members, "acme", "globex", "acme-sandbox", "initech", "umbrella"])
    acme = hostvars["acme"]
    assert acme["aws_account_joined_timestamp"].startswith("20")
    del acme["aws_account_joined_timestamp"]
    assert acme == {
        "aws_account_id": accounts["acme"],
        "aws_account_arn": acme["aws_account_arn"],
        "aws_account_name": "ACME Corp",
        "aws_account_email": "aws+acme-corp@msp.example",
        "aws_account_state": "ACTIVE",
        "aws_account_joined_method": "CREATED",
        "aws_account_parent_id": ids["production"],
        "aws_account_ou_path": "/Clients/Production",
        "aws_account_tags": {"client": "acme", "cost-centre": "4711"},
        "aws_account_is_management": False,
    }
    assert acme["aws_account_arn"].startswith(f"arn:aws:organizations::{MANAGEMENT_ID}:account/o-")
    assert acme["aws_account_arn"].endswith(f"/{accounts['acme']}")
    assert hostvars[MANAGEMENT_ID]["aws_account_is_management"] is True
    assert hostvars[MANAGEMENT_ID]["aws_account_ou_path"] == "/"
    assert hostvars[MANAGEMENT_ID]["aws_account_parent_id"] == ids["root"]

    assert "aws_organization" in children_of(result, "all")
    assert children_of(result, "aws_organization") == ["ou_clients"]
    assert children_of(result, "ou_clients") == ["ou_clients_production", "ou_clients_staging"]
    assert children_of(result, "ou_clients_production") == ["ou_clients_production_sandbox"]
    assert hosts_of(result, "ou_clients") == [accounts["shared"]]
    assert hosts_of(result, "ou_clients_production") == ["acme", "globex"]
    assert hosts_of(result, "ou_clients_production_sandbox") == ["acme-sandbox"]
    assert hosts_of(result, "ou_clients_staging") == ["initech", "umbrella"]
    assert "ou_bulk" not in result
    assert hosts_of(result, "management_account") == [MANAGEMENT_ID]
    assert hosts_of(result, "state_suspended") == ["umbrella"]
    assert "umbrella" not in hosts_of(result, "state_active")
    assert len(hosts_of(result, "joined_created")) == len(hostvars)
    assert hosts_of(result, "aws_organization") == sorted(hostvars)


def test_management_account_left_out_by_default_and_duplicate_names_warn(aws, tmp_path):
    proc, result, _calls = run_inventory(aws, tmp_path, {**CLIENTS_ONLY, "hostnames": ["name"]})
    assert proc.returncode == 0, proc.stderr
    hostvars = result["_meta"]["hostvars"]
    assert MANAGEMENT_ID not in hostvars and "master" not in hostvars
    orphans = sorted([aws["accounts"]["orphan"], aws["accounts"]["orphan_tagged"]])
    assert hostvars["Orphan"]["aws_account_id"] == orphans[0]
    assert hostvars[orphans[1]]["aws_account_name"] == "Orphan"
    assert f"accounts {orphans[0]}, {orphans[1]} are all named 'Orphan'" in " ".join(proc.stderr.split())


def test_constructed_compose_groups_and_keyed_groups(aws, tmp_path):
    config = {
        **CLIENTS_ONLY,
        "hostnames": ["tag:client", "account_id"],
        "compose": {"organization_account_id": "aws_account_id", "shouting": "aws_account_name | upper"},
        "groups": {"untagged_accounts": "'client' not in aws_account_tags"},
        "keyed_groups": [
            {"key": "aws_account_tags.client | default('')", "prefix": "client"},
            {"key": "aws_account_ou_path", "prefix": "path"},
        ],
    }
    proc, result, _calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    assert result["_meta"]["hostvars"]["acme"]["organization_account_id"] == aws["accounts"]["acme"]
    assert result["_meta"]["hostvars"]["globex"]["shouting"] == "GLOBEX"
    assert hosts_of(result, "client_acme") == ["acme"]
    assert hosts_of(result, "client_acme_sandbox") == ["acme-sandbox"]
    assert hosts_of(result, "untagged_accounts") == sorted(
        [aws["accounts"]["orphan"], aws["accounts"]["orphan_tagged"], aws["accounts"]["shared"]]
    )
    assert hosts_of(result, "path__Clients_Production") == ["acme", "globex"]


@pytest.fixture
def member_controlled(aws):
    """/Untrusted with accounts whose name or client tag a member account's administrator chose; removed after."""
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=aws["url"], **lower(KEYS))
    root = aws["ids"]["root"]
    ou_id = org.create_organizational_unit(ParentId=root, Name="Untrusted")["OrganizationalUnit"]["Id"]
    made = []

    def make(name, **tags):
        created = org.create_account(
            AccountName=name,
            Email=f"aws+untrusted-{len(made)}@msp.example",
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        account_id = created["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou_id)
        made.append(account_id)
        return account_id

    yield make
    for account_id in made:
        org.remove_account_from_organization(AccountId=account_id)
    org.delete_organizational_unit(OrganizationalUnitId=ou_id)


def test_member_controlled_names_never_claim_localhost_or_pattern_syntax(aws, tmp_path, member_controlled):
    claims_localhost = member_controlled("localhost", client="localhost")
    comma = member_controlled("web,db", client="web,db")
    fine = member_controlled("untrusted-ok", client="hooli")
    config = {"include_ous": ["/Untrusted"], "hostnames": ["tag:client", "name", "account_id"]}
    proc, result, _calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    hostvars = result["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted([claims_localhost, comma, "hooli"])
    assert hostvars["hooli"]["aws_account_id"] == fine
    assert "localhost" not in hostvars and "web,db" not in hostvars
    warnings = failure(proc)
    assert f"account {claims_localhost}: tag:client gives 'localhost', which cannot name a host" in warnings
    assert (
        f"account {comma}: name gives 'web,db', which cannot name a host (host patterns read , as syntax)" in warnings
    )


def test_values_from_aws_are_never_templated(aws, tmp_path, member_controlled):
    touched = tmp_path / "templated"
    name = f"{{{{ lookup('pipe', 'touch {touched}') }}}}"
    account_id = member_controlled(name, client=name)
    config = {
        **jsonfile_cache(tmp_path),
        "include_ous": ["/Untrusted"],
        "hostnames": ["tag:client", "account_id"],
        "compose": {"composed_name": "aws_account_name", "composed_tag": "aws_account_tags.client"},
        "groups": {"templated": "aws_account_name is search('lookup')"},
        "keyed_groups": [{"key": "aws_account_name", "prefix": "named"}],
    }
    proc, live, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    assert actions(calls)["ListRoots"] == 1
    proc, cached, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    assert calls == [], "the second parse is answered from the jsonfile cache"
    for result in (live, cached):
        host_vars = result["_meta"]["hostvars"][account_id]
        assert host_vars["aws_account_name"] == host_vars["composed_name"] == name
        assert host_vars["aws_account_tags"]["client"] == host_vars["composed_tag"] == name
        assert hosts_of(result, "templated") == [account_id]
    # a playbook run templates what it prints: the cached name is still the text
    source = tmp_path / "test.aws_organizations.yml"
    shown = subprocess.run(
        [str(ANSIBLE_INVENTORY.parent / "ansible"), "-i", str(source), account_id, "-m", "ansible.builtin.debug",
         "-a", "var=composed_name"],
        capture_output=True, text=True, env=ansible_env(aws), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert name in shown.stdout
    assert not touched.exists(), "a value from AWS was templated"


FILTER_CASES = [
    # case, config, host names (hostnames tag:client, account_id; management left out)
    ("include-a-subtree", {"include_ous": ["/Clients/Production"]}, ["acme", "acme-sandbox", "globex"]),
    ("exclude-inside-include", {"include_ous": ["/Clients"], "exclude_ous": ["/Clients/Production/Sandbox"]},
     ["acme", "globex", "initech", "shared", "umbrella"]),
    ("states", {"include_ous": ["/Clients/Staging"], "states": ["SUSPENDED"]}, ["umbrella"]),
    ("include-tags", {**CLIENTS_ONLY, "include_tags": {"client": ["acme", "initech"]}}, ["acme", "initech"]),
    ("exclude-tags", {"include_ous": ["/Clients"], "exclude_tags": {"lifecycle": "handover", "client": "globex"}},
     ["acme", "acme-sandbox", "shared", "umbrella"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "config", "names"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_filters(aws, tmp_path, case, config, names):
    proc, result, _calls = run_inventory(aws, tmp_path, {"hostnames": ["tag:client", "account_id"], **config})
    assert proc.returncode == 0, proc.stderr
    shared = aws["accounts"]["shared"]
    assert sorted(result["_meta"]["hostvars"]) == sorted(shared if name == "shared" else name for name in names)


# --- what it reads --------------------------------------------------------------------------------------------


def test_api_calls_grow_with_pages_not_with_accounts_times_calls(aws, tmp_path):
    proc, result, calls = run_inventory(aws, tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    # parents walked: root, Clients, Production, Sandbox, Staging, Bulk and its 22 teams
    parents = 6 + BULK_OUS
    kept = len(result["_meta"]["hostvars"])
    assert kept == len(aws["accounts"]) + BULK_ACCOUNTS  # every member, not the management account
    assert actions(calls) == {
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": parents - 1 + math.ceil(BULK_OUS / PAGE),
        "ListAccountsForParent": parents - 1 + math.ceil(BULK_ACCOUNTS / PAGE),
        "ListTagsForResource": kept,
    }
    assert {service for service, _action, _parent in calls} == {"organizations"}
    assert len({parent for _s, action, parent in calls if action == "ListAccountsForParent"}) == parents


def test_read_tags_false_reads_no_tags(aws, tmp_path):
    proc, result, calls = run_inventory(aws, tmp_path, {"read_tags": False, "hostnames": ["name", "account_id"]})
    assert proc.returncode == 0, proc.stderr
    assert "ListTagsForResource" not in actions(calls)
    assert all(host_vars["aws_account_tags"] == {} for host_vars in result["_meta"]["hostvars"].values())


def test_include_ous_walks_only_those_subtrees(aws, tmp_path):
    proc, _result, calls = run_inventory(aws, tmp_path, {"include_ous": ["/Clients/Production"]})
    assert proc.returncode == 0, proc.stderr
    ids = aws["ids"]
    listed_ous = sorted(parent for _s, action, parent in calls if action == "ListOrganizationalUnitsForParent")
    listed_accounts = sorted(parent for _s, action, parent in calls if action == "ListAccountsForParent")
    # the root's and Clients' OUs to find Production, then the subtree itself
    assert listed_ous == sorted([ids["root"], ids["clients"], ids["production"], ids["sandbox"]])
    assert listed_accounts == sorted([ids["production"], ids["sandbox"]])
    assert actions(calls)["ListTagsForResource"] == 3
    assert actions(calls)["ListRoots"] == 1


def test_throttling_is_retried(aws, tmp_path):
    aws["recorder"].faults["ListAccountsForParent"] = ["TooManyRequestsException"]
    proc, result, calls = run_inventory(aws, tmp_path, {"include_ous": ["/Clients/Staging"]})
    assert proc.returncode == 0, proc.stderr
    assert len(result["_meta"]["hostvars"]) == 2
    assert actions(calls)["ListAccountsForParent"] == 2


# --- the cache --------------------------------------------------------------------------------------------------


def test_cache_answers_the_second_parse_without_any_aws_call(aws, tmp_path):
    cache = {**jsonfile_cache(tmp_path), "assume_role_arn": f"{ROLE_PREFIX}OrganizationInventoryReader"}
    config = {**cache, **CLIENTS_ONLY, "hostnames": ["tag:client", "account_id"]}
    proc, first, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    assert actions(calls, "sts") == {"AssumeRole": 1}
    assert actions(calls)["ListRoots"] == 1

    proc, second, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode == 0, proc.stderr
    assert calls == [], "a cached parse makes no AWS call, not even AssumeRole"
    assert second == first

    # names, groups, compose and tag filters apply to the cached listing
    regrouped = {**config, "hostnames": ["name"], "compose": {"shouting": "aws_account_name | upper"}}
    proc, third, calls = run_inventory(aws, tmp_path, {**regrouped, "include_tags": {"client": "globex"}})
    assert proc.returncode == 0, proc.stderr
    assert calls == []
    assert list(third["_meta"]["hostvars"]) == ["Globex"]
    assert third["_meta"]["hostvars"]["Globex"]["shouting"] == "GLOBEX"

    # an option that changes what is read reads again, and so does a refresh
    proc, _fourth, calls = run_inventory(aws, tmp_path, {**config, "states": ["ACTIVE"]})
    assert proc.returncode == 0, proc.stderr
    assert actions(calls)["ListRoots"] == 1
    proc, _fifth, calls = run_inventory(aws, tmp_path, {**config, "states": ["ACTIVE"]}, "--list", "--flush-cache")
    assert proc.returncode == 0, proc.stderr
    assert actions(calls)["ListRoots"] == 1
    proc, _sixth, calls = run_inventory(aws, tmp_path, {**config, "states": ["ACTIVE"]})
    assert calls == []


def test_the_cache_is_read_again_from_another_organization_or_as_someone_else(aws, tmp_path):
    config = {
        **jsonfile_cache(tmp_path),
        "include_ous": ["/Clients/Staging"],
        "assume_role_arn": f"{ROLE_PREFIX}OrganizationInventoryReader",
    }
    secret = {"AWS_SECRET_ACCESS_KEY": "the-secret-key-never-cached"}
    (tmp_path / "aws_config").write_text(
        "[profile auditor]\naws_access_key_id = AKIDPROFILEKEY\naws_secret_access_key = testing\n"
    )
    profile = {
        "AWS_CONFIG_FILE": str(tmp_path / "aws_config"),
        "AWS_PROFILE": "auditor",
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
    }
    elsewhere = [
        # case, config, environment
        ("another-role", {**config, "assume_role_arn": f"{ROLE_PREFIX}AnotherReader"}, secret),
        ("another-endpoint", {**config, "endpoint_url": aws["url"] + "/"}, secret),
        ("another-region", {**config, "region": "eu-central-1"}, secret),
        ("another-access-key-id", config, {**secret, "AWS_ACCESS_KEY_ID": "AKIDANOTHERKEY"}),
        ("a-profile", config, profile),
        ("the-first-again", config, secret),
    ]
    proc, first, calls = run_inventory(aws, tmp_path, config, extra_env=secret)
    assert proc.returncode == 0, proc.stderr
    assert actions(calls)["ListRoots"] == 1
    proc, _again, calls = run_inventory(aws, tmp_path, config, extra_env=secret)
    assert calls == [], "the same source is answered from the cache"
    for case, changed, environment in elsewhere:
        proc, result, calls = run_inventory(aws, tmp_path, changed, extra_env=environment)
        assert proc.returncode == 0, f"{case}: {proc.stderr}"
        assert actions(calls).get("ListRoots") == 1, f"{case}: the cached listing was used"
        assert result == first, case
    cached = "".join(path.read_text() for path in (tmp_path / "cache").iterdir())
    assert "read_with" in cached
    for never in ("the-secret-key-never-cached", "AKIDANOTHERKEY", "AKIDPROFILEKEY", "OrganizationInventoryReader"):
        assert never not in cached


# --- errors -------------------------------------------------------------------------------------------------------


def failure(proc):
    return " ".join(proc.stderr.split())


def test_an_account_in_no_organization_is_told_to_use_the_management_account(aws, tmp_path):
    config = {"assume_role_arn": "arn:aws:iam::111122223333:role/OrganizationInventoryReader"}
    proc, _result, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode != 0
    assert "AWSOrganizationsNotInUseException" in failure(proc)
    assert "is in no AWS Organization: use the management account's credentials" in failure(proc)
    assert actions(calls) == {"ListRoots": 1}


@pytest.mark.parametrize("code", ["AccessDeniedException", "AccessDenied"])
def test_access_denied_says_which_account_and_permissions(aws, tmp_path, code):
    aws["recorder"].faults["ListAccountsForParent"] = [code]
    proc, _result, _calls = run_inventory(aws, tmp_path, {"include_ous": ["/Clients/Staging"]})
    aws["recorder"].faults.clear()
    assert proc.returncode != 0
    message = failure(proc)
    assert "Failed to list the accounts in" in message
    assert "use the management account or a delegated administrator" in message
    assert "organizations:ListAccountsForParent" in message
    # AWS's words once per time ansible-core shows the plugin's message, not again from a chained cause
    assert message.count(f"{code} injected by the test") == message.count("aws_organizations: Failed to list") > 0


def test_a_refused_assume_role_names_the_role_and_the_option(aws, tmp_path):
    aws["recorder"].faults["AssumeRole"] = ["AccessDenied"]
    role = f"{ROLE_PREFIX}OrganizationInventoryReader"
    proc, _result, calls = run_inventory(aws, tmp_path, {"assume_role_arn": role})
    aws["recorder"].faults.clear()
    assert proc.returncode != 0
    message = failure(proc)
    assert f"aws_organizations: could not assume the role {role} of assume_role_arn" in message
    assert "AccessDenied injected by the test" in message
    assert actions(calls, "sts") == {"AssumeRole": 1}
    assert actions(calls) == {}


def test_an_include_inside_an_exclude_lists_nothing_in_the_excluded_ou(aws, tmp_path):
    config = {
        "include_ous": ["/Clients/Production/Sandbox", "/Clients/Staging"],
        "exclude_ous": ["/Clients/Production"],
    }
    proc, result, calls = run_inventory(aws, tmp_path, {"hostnames": ["tag:client", "account_id"], **config})
    assert proc.returncode == 0, proc.stderr
    assert sorted(result["_meta"]["hostvars"]) == ["initech", "umbrella"]
    ids = aws["ids"]
    listed = {parent for _s, action, parent in calls if action.endswith("ForParent")}
    assert ids["production"] not in listed and ids["sandbox"] not in listed
    assert "ou_clients_production" not in result


BAD_CONFIG_CASES = [
    ("tag-hostname-without-tags", {"hostnames": ["tag:client"], "read_tags": False}, "hostnames: tag:client needs"),
    ("include-missing-ou", {"include_ous": ["/Clients/Nope"]}, "include_ous: organizational unit /Clients/Nope does"),
    ("exclude-missing-ou", {"exclude_ous": ["/Clients/Nope"]},
     "exclude_ous: organizational unit /Clients/Nope does not exist (Nope)"),
    ("exclude-outside-include", {"include_ous": ["/Clients"], "exclude_ous": ["/Bulk/Team 01"]},
     "exclude_ous: /Bulk/Team 01 is outside include_ous (/Clients), so it leaves nothing out"),
    ("unknown-state", {"states": ["GONE"]}, "states"),
    ("lowercase-state", {"states": ["active"]}, "states"),
    ("empty-ou-group-prefix", {"ou_group_prefix": ""}, "ou_group_prefix: may not be empty"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "config", "words"), BAD_CONFIG_CASES, ids=[c[0] for c in BAD_CONFIG_CASES])
def test_bad_configuration_is_a_clear_error(aws, tmp_path, case, config, words):
    proc, _result, calls = run_inventory(aws, tmp_path, config)
    assert proc.returncode != 0
    assert words in failure(proc)
    if case not in ("include-missing-ou", "exclude-missing-ou"):
        assert calls == [], "options are checked before AWS is read"


def test_graph_renders_the_tree(aws, tmp_path):
    proc, _result, _calls = run_inventory(
        aws, tmp_path, {"include_ous": ["/Clients/Production"], "hostnames": ["tag:client"]}, "--graph"
    )
    assert proc.returncode == 0, proc.stderr
    graph = proc.stdout
    assert "@aws_organization:" in graph
    assert graph.index("@ou_clients:") < graph.index("@ou_clients_production:") < graph.index("acme")
