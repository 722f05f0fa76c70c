"""Onboarding in parallel slices, as AWX job slicing runs it: three ``ansible-playbook playbooks/onboard.yml``
processes at once against one sandbox, each with an inventory holding only its slice of the clients (one slice
without localhost, as AWX gives it when localhost falls in another slice: the implicit localhost runs the
organization-level plays). All succeed, nothing is duplicated, and the end state is the one the full inventory
asks for: accounts, OUs, every client's roles, the engineers' groups' policies compared by meaning, the links.

The organization-level races are forced with the sandbox's fault rules: a concurrent twin that created the OU, the
group, the user or the policy first and the answer saying so (``"when": "after"``: AWS did it, the caller hears
DuplicateOrganizationalUnitException, EntityAlreadyExists or ConcurrentModificationException). A second test
races two writers of one engineers' policy directly, without a playbook; a third gives that module bad input.
"""

import importlib.util
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import ANSIBLE_PLAYBOOK, REPO, SANDBOX_INVENTORY, playbook_env

from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import client_role_specs
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    document_grants,
    group_grants,
    policy_name,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import role_arn

# The molecule scenario's reader of an account's OU path, shared rather than written again.
_AWS_STATE = importlib.util.spec_from_file_location(
    "aws_state", REPO / "extensions" / "molecule" / "onboard" / "files" / "aws_state.py"
)
aws_state = importlib.util.module_from_spec(_AWS_STATE)
_AWS_STATE.loader.exec_module(aws_state)
parent_path = aws_state.parent_path

# AWX slicing of the sandbox's three clients into three jobs: one client each. The third slice has no localhost.
SLICES = [["acme"], ["globex"], ["hooli"]]
WITHOUT_LOCALHOST = 2
POLICY_PATH = "/msp-aws-accounts/"
ACCESS_ROLES = {"create": "OrganizationAccountAccessRole", "invite": "MspOrganizationAccess"}
# Concurrent twins, forced: AWS carried the call out, the caller hears that someone else did (once each).
RACES = [
    ("organizations", "CreateOrganizationalUnit", "DuplicateOrganizationalUnitException"),
    ("organizations", "EnableAWSServiceAccess", "ConcurrentModificationException"),
    ("iam", "EnableOrganizationsRootSessions", "ConcurrentModificationException"),
    ("iam", "CreateUser", "EntityAlreadyExists"),
    ("iam", "CreateGroup", "EntityAlreadyExists"),
    ("iam", "CreatePolicy", "EntityAlreadyExists"),
    ("iam", "CreatePolicyVersion", "ConcurrentModificationException"),
]


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def slice_inventory(root: Path, hosts: list[str], localhost: bool, world: dict, endpoint: str) -> Path:
    """An inventory holding only ``hosts`` of the sandbox's clients, as AWX hands a slice to its job. The sandbox's
    world (its keys) is written in, as an AWX credential gives keys once, instead of the sandbox inventory's lookup
    each time a task's connection is templated."""
    shutil.copytree(SANDBOX_INVENTORY / "group_vars", root / "group_vars")
    connection = load(root / "group_vars" / "all" / "connection.yml")
    connection.update(msp_sandbox_endpoint_url=endpoint, msp_sandbox_world=world)
    (root / "group_vars" / "all" / "connection.yml").write_text(yaml.safe_dump(connection))
    (root / "host_vars").mkdir(parents=True)
    for host in hosts:
        shutil.copy(SANDBOX_INVENTORY / "host_vars" / f"{host}.yml", root / "host_vars")
    inventory = {"all": {"children": {"clients": {"hosts": {host: {} for host in hosts}}}}}
    if localhost:
        inventory["all"]["hosts"] = {"localhost": {}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    return root


def msp_settings() -> dict:
    return load(SANDBOX_INVENTORY / "group_vars" / "all" / "msp.yml")


def expected_clients(accounts_by_email: dict) -> list[dict]:
    """The clients as the full inventory declares them (role specs from the catalogue), with their accounts."""
    msp = msp_settings()
    local, domain = msp["msp_mailbox"].split("@")
    clients = []
    for host in sorted(host for hosts in SLICES for host in hosts):
        entry = load(SANDBOX_INVENTORY / "host_vars" / f"{host}.yml")
        email = entry.get("client_email") or f"{local}+{host}@{domain}"
        specs = client_role_specs(
            msp["msp_role_catalogue"],
            entry["client_name"],
            entry.get("client_roles"),
            entry.get("client_custom_roles"),
            msp["msp_role_path"],
            msp["msp_default_roles"],
        )
        clients.append(
            {
                "host": host,
                "join": entry["client_join"],
                "ou": entry.get("client_ou") or msp["msp_default_ou"],
                "account_id": accounts_by_email[email.lower()]["Id"],
                "email": email.lower(),
                "roles": specs,
            }
        )
    return clients


def organizational_units(org, parent_id: str, prefix: str = "") -> list[str]:
    """Every OU path below ``parent_id``, duplicates included (so a duplicate shows)."""
    paths = []
    for ou in org.list_organizational_units_for_parent(ParentId=parent_id)["OrganizationalUnits"]:
        path = f"{prefix}/{ou['Name']}"
        paths += [path, *organizational_units(org, ou["Id"], path)]
    return paths


def client_iam(aws, client: dict):
    """IAM in the client's account, through the access role its way of joining gives it."""
    arn = f"arn:aws:iam::{client['account_id']}:role/{ACCESS_ROLES[client['join']]}"
    session = aws.management("sts").assume_role(RoleArn=arn, RoleSessionName="test-parallel-slices")
    return aws.client("iam", aws.assumed(session), retries=3)


def group_grants_in_aws(iam, group: str) -> dict:
    """``{role ARN: MFA age}`` the group's policies of ours allow, all pieces together (compared by meaning)."""
    grants = {}
    for attached in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]:
        if not attached["PolicyName"].startswith(f"{group}-client-roles-"):
            continue
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]
        grants.update(document_grants(document["Document"]))
    return grants


def test_three_slices_at_once_end_as_one_full_run(sandbox, aws, world, sandbox_endpoint, tmp_path):
    for service, action, code in RACES:
        sandbox.add_fault(service=service, action=action, error_code=code, when="after", count=1)
    started = time.monotonic()
    runs = []
    for number, hosts in enumerate(SLICES):
        root = tmp_path / f"slice-{number}"
        inventory = slice_inventory(root / "inventory", hosts, number != WITHOUT_LOCALHOST, world, sandbox_endpoint)
        log = (root / "ansible.log").open("w")
        command = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(REPO / "playbooks" / "onboard.yml")]
        command += ["-e", "client=clients", "-e", "msp_inventory_slice=true"]
        env = playbook_env(root, sandbox_endpoint)
        runs.append(
            (hosts, root, log, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO))
        )
    try:
        for hosts, root, log, proc in runs:
            proc.wait(timeout=1200)  # a safety net only: a slice takes minutes, longer on a loaded machine
            log.close()
            output = (root / "ansible.log").read_text()
            assert proc.returncode == 0, f"slice {hosts} failed:\n{output[-6000:]}"
    finally:
        for _hosts, _root, log, proc in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    print(f"three slices took {time.monotonic() - started:.0f} s")
    fired = {(rule["service"], rule["action"]): rule["fired"] for rule in sandbox.faults()}
    assert all(fired.values()), f"a race was never forced: {fired}"

    org = aws.management("organizations", retries=3)
    msp = msp_settings()
    # No duplicate OU, exactly the declared ones.
    root_id = org.list_roots()["Roots"][0]["Id"]
    paths = organizational_units(org, root_id)
    declared = {f"/{path}" for path in msp["msp_organizational_units"]} | {"/Clients"}
    assert sorted(paths) == sorted(declared)
    # No duplicate account: the management account and one per client.
    accounts = org.list_accounts()["Accounts"]
    emails = [account["Email"].lower() for account in accounts]
    assert len(emails) == len(set(emails)) == 1 + sum(len(hosts) for hosts in SLICES)
    clients = expected_clients({account["Email"].lower(): account for account in accounts})
    for client in clients:
        assert parent_path(org, client["account_id"]) == client["ou"], client["host"]
        # Every client's roles, exactly those of its specs, on the MSP's path.
        iam = client_iam(aws, client)
        roles = {role["RoleName"] for role in iam.list_roles(PathPrefix=msp["msp_role_path"])["Roles"]}
        assert roles == {spec["role_name"] for spec in client["roles"]}, client["host"]
    # The engineers' groups: every client's roles in the policies, although no slice knew all clients.
    identity = aws.management("iam", retries=3)
    for group in msp["msp_engineer_groups"]:
        wanted = group_grants(group, clients, "aws")
        assert group_grants_in_aws(identity, group["name"]) == wanted, group["name"]
        members = {user["UserName"] for user in identity.get_group(GroupName=group["name"])["Users"]}
        assert members == {e["name"] for e in msp["msp_engineers"] if group["name"] in e["groups"]}
    # Nothing left behind by the races: one version of each policy (the others were merged and deleted).
    for policy in identity.list_policies(Scope="Local", PathPrefix=POLICY_PATH)["Policies"]:
        versions = identity.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]
        assert len(versions) <= 2, (policy["PolicyName"], versions)
    # The links: each slice publishes its own clients' folders (AWX's "Publish switch-role links" publishes all).
    for hosts, root, _log, _proc in runs:
        published = sorted(path.name for path in (root / "links" / "clients").iterdir())
        assert published == sorted(hosts)
        for host in hosts:
            account_id = next(c["account_id"] for c in clients if c["host"] == host)
            assert account_id in (root / "links" / "clients" / host / "index.md").read_text()


def test_two_writers_of_one_policy_at_once_keep_both_clients(sandbox, aws, run_module, world):
    """Two slices write the same group's policy at the same moment, each with its own client's role."""
    org = aws.management("organizations", retries=3)
    first, second = aws.create_member("Slice One"), aws.create_member("Slice Two")
    members = [account["Id"] for account in org.list_accounts()["Accounts"]]
    name = policy_name("msp-oncall", 1)
    arns = {account: role_arn("aws", account, "MspOnCall", "/msp/") for account in (first, second)}
    # The writes land together: each takes a while, so one writer creates the policy and the other hears
    # EntityAlreadyExists, and a writer's version is based on a default that the other has replaced meanwhile.
    for action in ("CreatePolicy", "CreatePolicyVersion"):
        sandbox.add_fault(service="iam", action=action, latency_ms=1500, every=1)
    writers = [
        run_module.start(
            "aws_engineer_policy",
            name=name,
            path=POLICY_PATH,
            grants=[{"arn": arns[account]}],
            keep_account_ids=members,
            own_account_ids=[account],
        )
        for account in (first, second)
    ]
    results = [run_module.finish(proc) for proc in writers]
    assert not any(result.failed for result in results), [(r.get("msg"), r.get("error")) for r in results]
    print("rounds", [r.get("rounds") for r in results])
    iam = aws.management("iam", retries=3)
    arn = f"arn:aws:iam::{world['management']['account_id']}:policy{POLICY_PATH}{name}"
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert set(document_grants(document)) == set(arns.values())


ROLE_ARN = "arn:aws:iam::111111111111:role/msp/MspOnCall"
BAD_POLICY_INPUT = {
    "name-with-a-space": ({"name": "msp oncall"}, "name: 'msp oncall': policy name must match pattern"),
    "path-without-slashes": ({"path": "msp"}, "path: 'msp': policy path must begin and end with /"),
    "grant-not-a-role": (
        {"grants": [{"arn": "arn:aws:iam::111111111111:user/alice"}]},
        "grants[0].arn: 'arn:aws:iam::111111111111:user/alice' is not an IAM role ARN",
    ),
    "grant-not-an-arn": ({"grants": [{"arn": "MspOnCall"}]}, "grants[0].arn: 'MspOnCall' is not an IAM role ARN"),
    "mfa-age-zero": (
        {"grants": [{"arn": ROLE_ARN, "mfa_max_age": 0}]},
        "grants[0].mfa_max_age: must be a positive number of seconds",
    ),
    "keep-id-short": ({"keep_account_ids": ["1111"]}, "keep_account_ids[0]: must be an AWS account id of exactly 12"),
    "own-id-short": ({"own_account_ids": ["111111111111", "22"]}, "own_account_ids[1]: must be an AWS account id"),
}


@pytest.mark.parametrize(("args", "expected"), BAD_POLICY_INPUT.values(), ids=BAD_POLICY_INPUT.keys())
def test_bad_engineer_policy_input_fails_before_any_call(sandbox, run_module, args, expected):
    mark = sandbox.mark()
    result = run_module(
        "aws_engineer_policy", **{"name": "msp-oncall-client-roles-01", "grants": [{"arn": ROLE_ARN}], **args}
    )
    assert result.failed and result["msg"].startswith(expected), result.get("msg")
    assert sandbox.call_summary(since=mark)["total"] == 0
