"""The xacct_roles and engineer_access roles end to end against the sandbox's trust enforcement: after both
ran, an engineer of the main account in msp-oncall, with a virtual MFA device and a TOTP code, assumes the
client's on-call role, and without MFA is denied.

The sandbox evaluates the role's trust policy, not the engineer's identity policies, so this proves the
roles' trust and the engineer's user and membership; the group policies' exactness is proven by
tests/unit/plugins/module_utils/test_engineer_access.py and read back here."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError
from conftest import DEV_TREE, REGION, totp, user_with_mfa

MANAGEMENT = "123456789012"
CATALOGUE = [
    {
        "key": "admin",
        "role_name": "MspAdmin",
        "path": "/msp/",
        "managed_policies": ["AdministratorAccess"],
        "require_mfa": True,
        "mfa_max_age": 3600,
        "max_session_duration": 3600,
        "engineer_groups": ["msp-admins"],
    },
    {
        "key": "oncall",
        "role_name": "MspOnCall",
        "path": "/msp/",
        "managed_policies": ["ReadOnlyAccess"],
        "require_mfa": True,
        "max_session_duration": 43200,
        "display_name": "ACME Corp on-call",
        "engineer_groups": ["msp-admins", "msp-oncall"],
    },
]
GROUPS = [{"name": "msp-admins"}, {"name": "msp-oncall"}]
ENGINEERS = [{"name": "alice", "groups": ["msp-admins"]}, {"name": "bob", "groups": ["msp-oncall"]}]


def collections_path():
    """The working copy (build/dev) first, then where amazon.aws is installed."""
    amazon_aws = Path(importlib.util.find_spec("ansible_collections.amazon.aws").submodule_search_locations[0])
    return f"{DEV_TREE}:{amazon_aws.parents[2]}"


def management_connection(endpoint, world):
    """The module defaults of the aws action group: the management account's keys, pointed at the sandbox."""
    credentials = world["management"]["credentials"]
    return {
        "endpoint_url": endpoint,
        "region": REGION,
        "access_key": credentials["aws_access_key_id"],
        "secret_key": credentials["aws_secret_access_key"],
    }


def onboarding_playbook(endpoint, world, account_id):
    """The two roles as playbooks/onboard.yml runs them, for one client, as the management account."""
    client = {"host": "acme", "key": "acme", "name": "ACME Corp", "account_id": account_id, "roles": CATALOGUE}
    return [
        {
            "name": "Onboard the roles and the engineers' access",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/msp.aws_accounts.aws": management_connection(endpoint, world)},
            "tasks": [
                {
                    "name": "Create the cross-account roles",
                    "ansible.builtin.include_role": {"name": "msp.aws_accounts.xacct_roles"},
                    "vars": {
                        "xacct_roles_account_id": account_id,
                        "xacct_roles_trusted_account_id": MANAGEMENT,
                        "xacct_roles_roles": CATALOGUE,
                    },
                },
                {
                    "name": "Grant the engineers access",
                    "ansible.builtin.include_role": {"name": "msp.aws_accounts.engineer_access"},
                    "vars": {
                        "engineer_access_account_id": MANAGEMENT,
                        "engineer_access_management_account_id": MANAGEMENT,
                        "engineer_access_groups": GROUPS,
                        "engineer_access_engineers": ENGINEERS,
                        "engineer_access_clients": [client],
                    },
                },
            ],
        }
    ]


def run_playbook(playbook, tmp_path):
    path = tmp_path / "onboard.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        HOME=str(tmp_path),
    )
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout


@pytest.fixture
def onboarded(aws, sandbox, sandbox_endpoint, world, tmp_path):
    """A member account with the catalogue's roles, and the engineers' groups, users and policies."""
    account_id = aws.create_member("ACME Corp")
    run_playbook(onboarding_playbook(sandbox_endpoint, world, account_id), tmp_path)
    return account_id


def test_oncall_engineer_assumes_the_oncall_role_with_mfa_and_is_denied_without(onboarded, aws, sandbox):
    bob = user_with_mfa(aws.management("iam"), sandbox, "bob")  # the role created bob, without keys or MFA
    assert bob["serial"] == f"arn:aws:iam::{MANAGEMENT}:mfa/bob"
    role = f"arn:aws:iam::{onboarded}:role/msp/MspOnCall"
    sts = aws.client("sts", bob["credentials"])

    granted = sts.assume_role(
        RoleArn=role, RoleSessionName="bob", SerialNumber=bob["serial"], TokenCode=totp(sandbox, bob["seed"])
    )
    inside = aws.client("sts", aws.assumed(granted)).get_caller_identity()
    assert inside["Account"] == onboarded
    assert inside["Arn"] == f"arn:aws:sts::{onboarded}:assumed-role/MspOnCall/bob"

    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=role, RoleSessionName="bob")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_oncall_group_holds_bob_and_allows_exactly_the_oncall_role_with_mfa(onboarded, aws):
    iam = aws.management("iam")
    assert [user["UserName"] for user in iam.get_group(GroupName="msp-oncall")["Users"]] == ["bob"]
    assert iam.list_access_keys(UserName="bob")["AccessKeyMetadata"] == []  # the role created no credentials
    [attached] = iam.list_attached_group_policies(GroupName="msp-oncall")["AttachedPolicies"]
    assert attached["PolicyName"] == "msp-oncall-client-roles-01"
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"] == [
        {
            "Sid": "AssumeClientRolesWithMfa",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": [f"arn:aws:iam::{onboarded}:role/msp/MspOnCall"],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ]


def test_a_second_run_writes_nothing(onboarded, aws, sandbox, sandbox_endpoint, world, tmp_path):
    mark = sandbox.mark()
    output = run_playbook(onboarding_playbook(sandbox_endpoint, world, onboarded), tmp_path)
    summary = sandbox.call_summary(since=mark)
    assert "changed=0" in output
    # The one AssumeRole into the client account is all the sandbox counts as a write.
    assert summary["writes_by_action"] == {"sts:AssumeRole": 1}
    # The engineers' side reads two groups, two users, our policies in one list, and the two documents, with
    # their default versions from that list (no GetPolicy): 9 calls.
    reads = ("GetGroup", "ListAttachedGroupPolicies", "GetUser", "ListPolicies", "GetPolicy", "GetPolicyVersion")
    engineer_side = {a: n for a, n in summary["by_action"].items() if a.split(":")[1] in reads}
    assert engineer_side == {
        "iam:GetGroup": 2,
        "iam:ListAttachedGroupPolicies": 2,
        "iam:GetUser": 2,
        "iam:ListPolicies": 1,
        "iam:GetPolicyVersion": 2,
    }


def access_playbook(endpoint, world, clients):
    """Only the engineer_access role, for the on-call group of ``clients`` (their accounts need not exist)."""
    return [
        {
            "name": "Grant the on-call engineers access",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/msp.aws_accounts.aws": management_connection(endpoint, world)},
            "tasks": [
                {
                    "name": "Grant the engineers access",
                    "ansible.builtin.include_role": {"name": "msp.aws_accounts.engineer_access"},
                    "vars": {
                        "engineer_access_account_id": MANAGEMENT,
                        "engineer_access_management_account_id": MANAGEMENT,
                        "engineer_access_groups": [{"name": "msp-oncall"}],
                        "engineer_access_engineers": [{"name": "bob", "groups": ["msp-oncall"]}],
                        "engineer_access_clients": clients,
                    },
                }
            ],
        }
    ]


def oncall_clients(count):
    return [
        {
            "host": f"client{n:03d}",
            "key": f"client{n:03d}",
            "account_id": f"{100000000000 + n:012d}",
            "roles": [{"key": "oncall", "role_name": "MspOnCall", "path": "/msp/", "engineer_groups": ["msp-oncall"]}],
        }
        for n in range(count)
    ]


def test_a_group_growing_to_two_policies_gets_the_second_attached_before_the_first_shrinks(
    aws, sandbox, sandbox_endpoint, world, tmp_path
):
    run_playbook(access_playbook(sandbox_endpoint, world, oncall_clients(100)), tmp_path)
    mark = sandbox.mark()
    run_playbook(access_playbook(sandbox_endpoint, world, oncall_clients(200)), tmp_path)
    writes = [c["action"] for c in sandbox.calls(since=mark, service="iam")["calls"] if c["is_write"]]
    # -02 is created and attached while -01 still allows every role it had; only then does -01 shrink.
    assert writes.index("CreatePolicy") < writes.index("AttachGroupPolicy") < writes.index("CreatePolicyVersion"), (
        writes
    )
    iam = aws.management("iam")
    attached = iam.list_attached_group_policies(GroupName="msp-oncall")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == ["msp-oncall-client-roles-01", "msp-oncall-client-roles-02"]
    assert {p["PolicyArn"].split(":policy")[1].rsplit("/", 1)[0] for p in attached} == {"/msp-aws-accounts"}
