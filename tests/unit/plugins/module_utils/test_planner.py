"""The planner (planner.py): each client's verdict by the modules' own reconciliation, checked against what the
modules report in check mode; the role states of the bulk IAM read; plan() over a fake reader; the planner's input
from the inventory (plan_entry, xacct_role_options, held to the xacct_roles role's former Jinja); and the module's
summary (aws_client_plan.summarise)."""

import copy
import json
import random
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from botocore.exceptions import ClientError

from ansible_collections.msp.aws_accounts.plugins.module_utils.accounts import (
    account_changes,
    changed_state,
    diff_view,
    result_summary,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.alternate_contacts import (
    CONTACT_TYPES,
    desired_contacts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.audit_findings import drift_entry
from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import role_spec, xacct_role_options
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.iam_roles import (
    desired_role,
    ensure_absent,
    ensure_present,
    list_roles,
    plan_present,
    read_role,
    roles_letting_in,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import account_state
from ansible_collections.msp.aws_accounts.plugins.module_utils.planner import (
    ACCOUNT_SUBJECT,
    DRIFT,
    ERROR,
    IN_SYNC,
    MEMBERSHIP_SUBJECT,
    ROOT_SUBJECT,
    client_verdict,
    desired_client,
    parent_path,
    plan,
    plan_entry,
    role_subject,
    roles_from_details,
    stale_role_subject,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import build_trust_policy
from ansible_collections.msp.aws_accounts.plugins.module_utils.root_credentials import credentials_from_aws
from ansible_collections.msp.aws_accounts.plugins.modules.aws_client_plan import summarise

PARTITION = "aws"
MSP = "123456789012"  # the identity account the client roles trust
MANAGEMENT = "111111111111"
MEMBER = "210987654321"
PATH = "/msp/"
ACCESS = "OrganizationAccountAccessRole"
EMAIL = "awsaccounts+acme@msp.example"
WHEN = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SECURITY_AUDIT = "arn:aws:iam::aws:policy/SecurityAudit"
LOCAL_POLICY = f"arn:aws:iam::{MEMBER}:policy/Local"

ROOT = {"id": "r-ab12", "path": "/"}
CLIENTS = {"id": "ou-ab12-clients1", "path": "/clients"}
OTHER = {"id": "ou-ab12-others11", "path": "/other"}
PARENTS = {parent["path"]: parent for parent in (ROOT, CLIENTS, OTHER)}
ACCOUNT = {
    "Id": MEMBER,
    "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/o-abc123/{MEMBER}",
    "Email": EMAIL,
    "Name": "ACME Corp",
    "State": "ACTIVE",
    "JoinedMethod": "CREATED",
}
CONTACT = {"name": "Sam Sec", "title": "CISO", "email": "sec@acme.example", "phone": "+1 555 0100"}
OTHER_CONTACT = dict(CONTACT, name="Pat Sec")

RESTART = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ec2:RebootInstances", "Resource": "*"}],
}
LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}
TICKETS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}]}
TRUST = build_trust_policy(PARTITION, [MSP])
NO_MFA_TRUST = build_trust_policy(PARTITION, [MSP], require_mfa=False)
STORED_TRUST = {  # TRUST as IAM may hand it back: one statement, not a list; lists and booleans for plain values
    "Version": TRUST["Version"],
    "Statement": dict(
        TRUST["Statement"][0],
        Action=["sts:AssumeRole"],
        Principal={"AWS": [f"arn:aws:iam::{MSP}:root"]},
        Condition={"Bool": {"aws:MultiFactorAuthPresent": True}},
    ),
}
SERVICE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUSTS = [TRUST, NO_MFA_TRUST, STORED_TRUST, build_trust_policy(PARTITION, [MSP], mfa_max_age=900)]
TRUSTS += [build_trust_policy(PARTITION, ["999999999999"])]

KEY = {"AccessKeyId": "AKIAEXAMPLEKEY000001", "Status": "Active", "CreateDate": WHEN}
NO_ROOT = credentials_from_aws(None, [], [], [])
ROOT_KEYS = credentials_from_aws({"CreateDate": WHEN}, [KEY], [], [])

CATALOGUE = {
    "admin": {
        "key": "admin",
        "role_name": "MspAdmin",
        "description": "MSP administrators",
        "managed_policies": ["AdministratorAccess"],
    },
    "oncall": {
        "key": "oncall",
        "role_name": "MspOnCall",
        "managed_policies": ["ReadOnlyAccess"],
        "inline_policies": {"restart": json.dumps(RESTART)},
        "mfa_max_age": 3600,
        "max_session_duration": 7200,
        "color": "F2B0A9",
    },
}
SPECS = [role_spec(CATALOGUE[key], "ACME Corp", PATH) for key in ("admin", "oncall")]
ADMIN_SUBJECT = role_subject(PATH, "MspAdmin")
ONCALL_SUBJECT = role_subject(PATH, "MspOnCall")


def entry(**overrides):
    """A client as aws_client_plan takes it (its options' defaults applied)."""
    base = {
        "host": "acme",
        "email": EMAIL,
        "account_id": None,
        "join": "create",
        "name": "ACME Corp",
        "ou": "clients",
        "tags": {"client": "acme"},
        "alternate_contacts": {"security": CONTACT},
        "roles": [xacct_role_options(spec, PATH, MSP) for spec in SPECS],
        "role_path": PATH,
        "access_role_name": ACCESS,
        "root_credentials": "delete",
        "force": None,
    }
    return {**base, **overrides}


# --- a fake account: what the planner's bulk read and aws_xacct_role's own reads see -----------------------


def iam_role(name, trust, path=PATH, description=None, session=3600, tags=None, boundary=None, **policies):
    """A role as IAM holds it: GetRole's Role, and its ``attached`` ARNs, ``inline`` documents and ``profiles``."""
    role = {
        "Path": path,
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace(".", "")[:16],
        "Arn": f"arn:aws:iam::{MEMBER}:role{path}{name}",
        "CreateDate": WHEN,
        "AssumeRolePolicyDocument": trust,
        "MaxSessionDuration": session,
        "RoleLastUsed": {"LastUsedDate": WHEN, "Region": "eu-west-1"},
        "Tags": ansible_dict_to_boto3_tag_list(tags or {}),
    }
    if description:
        role["Description"] = description
    if boundary:
        role["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return {
        "Role": role,
        "attached": list(policies.get("attached", ())),
        "inline": dict(policies.get("inline", {})),
        "profiles": list(policies.get("profiles", ())),
    }


def created(options):
    """The role as aws_xacct_role creates it from ``options``: plan_present's prediction for no role."""
    _changes, after = plan_present(desired_role(options, PARTITION), None)
    return iam_role(
        after["name"],
        after["trust_policy"],
        after["path"],
        after["description"],
        after["max_session_duration"],
        after["tags"],
        after["permissions_boundary"],
        attached=after["managed_policies"],
        inline=after["inline_policy_documents"],
    )


ACCESS_ROLE = iam_role(ACCESS, build_trust_policy(PARTITION, [MANAGEMENT], require_mfa=False), "/", attached=[ADMIN])


def _without(mapping, keys):
    return {key: value for key, value in mapping.items() if key not in keys}


class Estate:
    """One client's account as AWS holds it: what EstateReader.observe reads from it, and an IAM client answering
    aws_xacct_role's own reads from the same data."""

    def __init__(self, roles, parent=None, tags=None, contacts=None, root=None):
        self.account = dict(ACCOUNT)
        self.parent = parent or CLIENTS
        self.tags = dict(tags or {})
        self.contacts = dict(dict.fromkeys(CONTACT_TYPES), **(contacts or {}))
        self.roles = {record["Role"]["RoleName"]: copy.deepcopy(record) for record in roles}
        self.root = root or NO_ROOT
        self.error = None

    @classmethod
    def onboarded(cls, client):
        """The account as a run of the onboarding leaves ``client``."""
        contacts = desired_contacts(client["alternate_contacts"] or {})
        return cls(
            [created(options) for options in client["roles"]] + [ACCESS_ROLE],
            parent=PARENTS.get(parent_path(client["ou"]), CLIENTS),
            tags=client["tags"],
            contacts={kind: contact or None for kind, contact in contacts.items() if contact is not None},
        )

    def details(self, form=copy.deepcopy):
        """GetAccountAuthorizationDetails' RoleDetailList (``form`` writes each policy document)."""
        return [
            {
                **_without(record["Role"], ("Description", "MaxSessionDuration")),
                "AssumeRolePolicyDocument": form(record["Role"]["AssumeRolePolicyDocument"]),
                "AttachedManagedPolicies": [attached_policy(arn) for arn in record["attached"]],
                "RolePolicyList": [{"PolicyName": n, "PolicyDocument": form(d)} for n, d in record["inline"].items()],
                "InstanceProfileList": [
                    {"InstanceProfileName": name, "Path": "/", "Arn": f"arn:aws:iam::{MEMBER}:instance-profile/{name}"}
                    for name in record["profiles"]
                ],
            }
            for record in self.roles.values()
        ]

    def listed(self, form=copy.deepcopy):
        """ListRoles' Roles: no tags, boundary or last use."""
        return [
            dict(
                _without(record["Role"], ("Tags", "PermissionsBoundary", "RoleLastUsed")),
                AssumeRolePolicyDocument=form(record["Role"]["AssumeRolePolicyDocument"]),
            )
            for record in self.roles.values()
        ]

    def iam(self):
        return FakeIam(self)

    def observed(self, desired, parents=PARENTS, read_root=True):
        """What EstateReader.observe makes of this account for the desired client."""
        seen = {"account": self.account}
        if self.account is None or account_state(self.account) != "ACTIVE":
            return seen
        if self.error:
            return dict(seen, error=self.error)
        wanted = desired["account"]
        listed = self.listed()
        seen.update(
            actual={
                "name": self.account["Name"],
                "parent": self.parent,
                "tags": dict(self.tags),
                "alternate_contacts": dict(self.contacts) if wanted["alternate_contacts"] is not None else None,
            },
            desired_account=dict(
                _without(wanted, ("parent_path",)),
                parent=parents.get(wanted["parent_path"]) if wanted["parent_path"] is not None else None,
            ),
            roles=roles_from_details(self.details(), listed),
            letting_in=roles_letting_in(listed),
        )
        if read_root:
            seen["root_credentials"] = self.root
        return seen


def attached_policy(arn):
    return {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}


class FakeIam:
    """The IAM calls of read_role, ensure_present/ensure_absent (check mode) and list_roles, on an Estate."""

    def __init__(self, estate):
        self.estate = estate

    def _record(self, name):
        if name not in self.estate.roles:
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": f"no role {name}"}}, "GetRole")
        return self.estate.roles[name]

    def get_role(self, RoleName, aws_retry=False):
        return {"Role": copy.deepcopy(self._record(RoleName)["Role"])}

    def list_attached_role_policies(self, RoleName, aws_retry=False):
        return {"AttachedPolicies": [attached_policy(arn) for arn in self._record(RoleName)["attached"]]}

    def list_role_policies(self, RoleName, aws_retry=False):
        return {"PolicyNames": sorted(self._record(RoleName)["inline"])}

    def get_role_policy(self, RoleName, PolicyName, aws_retry=False):
        return {"PolicyDocument": copy.deepcopy(self._record(RoleName)["inline"][PolicyName])}

    def list_instance_profiles_for_role(self, RoleName, aws_retry=False):
        return {"InstanceProfiles": [{"InstanceProfileName": name} for name in self._record(RoleName)["profiles"]]}

    def get_policy(self, PolicyArn, aws_retry=False):
        return {"Policy": {"Arn": PolicyArn}}

    def list_roles(self, aws_retry=False):
        return {"Roles": self.estate.listed()}


def verdict_of(client, estate, read_root=True):
    desired = desired_client(client, PARTITION)
    return client_verdict(desired, estate.observed(desired, read_root=read_root))


# --- edits of an onboarded account -------------------------------------------------------------------------


def change(**attributes):
    """The account's OU (parent), tags, contacts, root credentials or read error, as AWS now holds them."""
    return lambda estate: estate.__dict__.update(attributes)


def edit_account(**fields):
    return lambda estate: estate.account.update(fields)


def edit_role(name, **fields):
    """GetRole's fields of one role (Description, Path, ...), or its attached, inline or profiles."""

    def edit(estate):
        record = estate.roles[name]
        for key, value in fields.items():
            (record if key in record else record["Role"])[key] = copy.deepcopy(value)

    return edit


def edit_role_tags(name, **tags):
    """Set (a value) or remove (None) tags of one role."""

    def edit(estate):
        role = estate.roles[name]["Role"]
        current = {tag["Key"]: tag["Value"] for tag in role["Tags"]}
        current.update(tags)
        role["Tags"] = ansible_dict_to_boto3_tag_list({k: v for k, v in current.items() if v is not None})

    return edit


def add_role(record):
    return lambda estate: estate.roles.update({record["Role"]["RoleName"]: copy.deepcopy(record)})


def drop_role(name):
    return lambda estate: estate.roles.pop(name)


ALL_OTHER_CONTACTS = {"BILLING": OTHER_CONTACT, "OPERATIONS": OTHER_CONTACT, "SECURITY": OTHER_CONTACT}
STALE = iam_role("MspOld", TRUST, attached=[READ_ONLY])

# id: (client options, edit of the onboarded account, verdict, [(subject, the actions a run would take)])
VERDICTS = {
    "in-sync": ({}, None, IN_SYNC, []),
    "account-missing": ({}, change(account=None), DRIFT, [(MEMBERSHIP_SUBJECT, [])]),
    "account-suspended": ({}, edit_account(State="SUSPENDED"), DRIFT, [(MEMBERSHIP_SUBJECT, [])]),
    "account-in-another-ou": ({}, change(parent=OTHER), DRIFT, [(ACCOUNT_SUBJECT, ["parent"])]),
    "ou-unset-never-moves": ({"ou": None}, change(parent=OTHER), IN_SYNC, []),
    "account-tag-removed": ({}, change(tags={}), DRIFT, [(ACCOUNT_SUBJECT, ["tags"])]),
    "account-tag-added": ({}, change(tags={"client": "acme", "extra": "x"}), DRIFT, [(ACCOUNT_SUBJECT, ["tags"])]),
    "account-tag-changed": ({}, change(tags={"client": "globex"}), DRIFT, [(ACCOUNT_SUBJECT, ["tags"])]),
    "account-tags-unset": ({"tags": None}, change(tags={"extra": "x"}), IN_SYNC, []),
    "contacts-changed": (
        {},
        change(contacts={"BILLING": None, "OPERATIONS": None, "SECURITY": OTHER_CONTACT}),
        DRIFT,
        [(ACCOUNT_SUBJECT, ["alternate_contacts"])],
    ),
    "contact-type-not-in-the-entry-left-alone": (
        {},
        change(contacts={"BILLING": OTHER_CONTACT, "OPERATIONS": None, "SECURITY": CONTACT}),
        IN_SYNC,
        [],
    ),
    "contacts-unset": ({"alternate_contacts": None}, change(contacts=ALL_OTHER_CONTACTS), IN_SYNC, []),
    "contacts-empty": ({"alternate_contacts": {}}, change(contacts=ALL_OTHER_CONTACTS), IN_SYNC, []),
    "name-differs-created": ({}, edit_account(Name="Acme (old)"), DRIFT, [(ACCOUNT_SUBJECT, ["name"])]),
    "name-differs-invited": (
        {"join": "invite", "account_id": MEMBER},
        edit_account(Name="Acme (old)", JoinedMethod="INVITED"),
        IN_SYNC,
        [],
    ),
    "trust-mfa-removed": (
        {},
        edit_role("MspAdmin", AssumeRolePolicyDocument=NO_MFA_TRUST),
        DRIFT,
        [(ADMIN_SUBJECT, ["UpdateAssumeRolePolicy"])],
    ),
    "trust-as-iam-stores-it": ({}, edit_role("MspAdmin", AssumeRolePolicyDocument=STORED_TRUST), IN_SYNC, []),
    "managed-policy-detached": ({}, edit_role("MspAdmin", attached=[]), DRIFT, [(ADMIN_SUBJECT, ["AttachRolePolicy"])]),
    "extra-managed-policy-purged": (
        {},
        edit_role("MspAdmin", attached=[ADMIN, SECURITY_AUDIT]),
        DRIFT,
        [(ADMIN_SUBJECT, ["DetachRolePolicy"])],
    ),
    "inline-policy-changed": (
        {},
        edit_role("MspOnCall", inline={"restart": LOGS}),
        DRIFT,
        [(ONCALL_SUBJECT, ["PutRolePolicy"])],
    ),
    "extra-inline-policy-purged": (
        {},
        edit_role("MspAdmin", inline={"debug": RESTART}),
        DRIFT,
        [(ADMIN_SUBJECT, ["DeleteRolePolicy"])],
    ),
    "role-tag-removed": (
        {},
        edit_role_tags("MspAdmin", **{"msp-role-key": None}),
        DRIFT,
        [(ADMIN_SUBJECT, ["TagRole"])],
    ),
    "role-tag-added-purged": ({}, edit_role_tags("MspAdmin", owner="ops"), DRIFT, [(ADMIN_SUBJECT, ["UntagRole"])]),
    "description-changed": ({}, edit_role("MspAdmin", Description="edited"), DRIFT, [(ADMIN_SUBJECT, ["UpdateRole"])]),
    "session-duration-changed": (
        {},
        edit_role("MspOnCall", MaxSessionDuration=43200),
        DRIFT,
        [(ONCALL_SUBJECT, ["UpdateRole"])],
    ),
    "role-deleted": ({}, drop_role("MspAdmin"), DRIFT, [(ADMIN_SUBJECT, ["CreateRole", "AttachRolePolicy"])]),
    "role-on-another-path": ({}, edit_role("MspAdmin", Path="/other/"), DRIFT, [(ADMIN_SUBJECT, [])]),
    "stale-role-letting-others-in": (
        {},
        add_role(STALE),
        DRIFT,
        [(stale_role_subject(PATH, "MspOld"), ["DetachRolePolicy", "DeleteRole"])],
    ),
    "role-on-the-path-trusting-a-service": ({}, add_role(iam_role("EcsTask", SERVICE_TRUST)), IN_SYNC, []),
    "role-letting-others-in-off-the-path": ({}, add_role(iam_role("Partner", TRUST, path="/")), IN_SYNC, []),
    "access-role-on-the-path": ({}, edit_role(ACCESS, Path=PATH), IN_SYNC, []),
    "root-credentials-with-delete": (
        {},
        change(root=ROOT_KEYS),
        DRIFT,
        [(ROOT_SUBJECT, ["DeleteLoginProfile", "DeleteAccessKey"])],
    ),
    "root-credentials-with-keep": ({"root_credentials": "keep"}, change(root=ROOT_KEYS), IN_SYNC, []),
    "read-failed": ({}, change(error="AccessDenied: not authorized to perform sts:AssumeRole"), ERROR, []),
    "forced": ({"force": "the client's credentials are given"}, change(tags={}), DRIFT, []),
}


def verdict_case(case_id):
    overrides, edit, _verdict, _expected = VERDICTS[case_id]
    client = entry(**overrides)
    estate = Estate.onboarded(client)
    if edit:
        edit(estate)
    return client, estate


def what_changes(difference):
    """A difference's calls, or for the account (aws_member_account lists no calls, as the planner does not) the
    parts its diff changes."""
    result = difference["result"]
    if difference["subject"] == ACCOUNT_SUBJECT:
        before, after = result["diff"]["before"], result["diff"]["after"]
        assert result["changes"] == []
        return sorted(key for key in after if before.get(key) != after[key])
    return [change["action"] for change in result["changes"]]


@pytest.mark.parametrize(("case_id", "verdict", "expected"), [(k, *v[2:]) for k, v in VERDICTS.items()], ids=VERDICTS)
def test_client_verdict(case_id, verdict, expected):
    found = verdict_of(*verdict_case(case_id))
    assert found["verdict"] == verdict
    assert [(d["subject"], what_changes(d)) for d in found["differences"]] == expected
    assert all(d["result"]["changed"] is True for d in found["differences"])


def test_a_verdict_names_the_host_and_the_account():
    found = verdict_of(*verdict_case("account-in-another-ou"))
    assert (found["host"], found["account_id"], found["error"]) == ("acme", MEMBER, None)
    assert verdict_of(*verdict_case("account-missing"))["account_id"] is None


def test_a_read_that_failed_is_the_clients_error():
    assert verdict_of(*verdict_case("read-failed")) == {
        "host": "acme",
        "account_id": MEMBER,
        "verdict": ERROR,
        "differences": [],
        "error": "AccessDenied: not authorized to perform sts:AssumeRole",
    }


def test_root_credentials_not_read_are_no_difference():
    """read_root_credentials=none: the verdict says nothing of them, even under a delete policy."""
    found = verdict_of(*verdict_case("root-credentials-with-delete"), read_root=False)
    assert (found["verdict"], found["differences"]) == (IN_SYNC, [])


def test_a_forced_client_drifts_for_its_reason_without_comparing():
    found = verdict_of(*verdict_case("forced"))
    assert (found["verdict"], found["reason"], found["differences"]) == (
        DRIFT,
        "the client's credentials are given",
        [],
    )


def test_a_role_on_another_path_carries_the_modules_refusal():
    [difference] = verdict_of(*verdict_case("role-on-another-path"))["differences"]
    assert difference["result"]["msg"].startswith(
        "path: role MspAdmin exists with path /other/; IAM cannot move a role to /msp/"
    )
    assert difference["result"]["diff"]["before"] == difference["result"]["diff"]["after"]
    assert difference["result"]["diff"]["before"]["path"] == "/other/"


# How the audit words each kind of difference (aws_client_plan's drift, from audit_findings.drift_entry).
WORDS = {
    "account-missing": (MEMBERSHIP_SUBJECT, [], ["missing: a run would create it"]),
    "account-suspended": (MEMBERSHIP_SUBJECT, [], ["state: SUSPENDED -> ACTIVE"]),
    "account-in-another-ou": (ACCOUNT_SUBJECT, [], ["parent: /other -> /clients"]),
    "account-tag-changed": (ACCOUNT_SUBJECT, [], ["tags.client: globex -> acme"]),
    "contacts-changed": (
        ACCOUNT_SUBJECT,
        [],
        ["alternate_contacts.security.name: Pat Sec -> Sam Sec"],
    ),
    "name-differs-created": (ACCOUNT_SUBJECT, [], ["name: Acme (old) -> ACME Corp"]),
    "description-changed": (ADMIN_SUBJECT, ["UpdateRole"], ["description: edited -> MSP administrators"]),
    "extra-managed-policy-purged": (ADMIN_SUBJECT, ["DetachRolePolicy"], [f"managed_policies: -{SECURITY_AUDIT}"]),
    "role-deleted": (ADMIN_SUBJECT, ["CreateRole", "AttachRolePolicy"], ["missing: a run would create it"]),
    "stale-role-letting-others-in": (
        stale_role_subject(PATH, "MspOld"),
        ["DetachRolePolicy", "DeleteRole"],
        ["not in the inventory: a run would remove it"],
    ),
    "root-credentials-with-delete": (
        ROOT_SUBJECT,
        ["DeleteLoginProfile", "DeleteAccessKey"],
        [f"access_keys: -{KEY['AccessKeyId']}", "login_profile: true -> false"],
    ),
}


@pytest.mark.parametrize(("case_id", "words"), WORDS.items(), ids=WORDS)
def test_summarise_words_each_difference_as_the_audit_does(case_id, words):
    subject, actions, changes = words
    result = summarise({"clients": [verdict_of(*verdict_case(case_id))], "organization": []})
    assert result["clients"][0]["drift"] == [{"subject": subject, "actions": actions, "changes": changes}]
    assert (result["in_sync"], result["to_run"]) == ([], ["acme"])


# --- the planner against the modules in check mode, over generated clients ---------------------------------

MANAGED_CHOICES = ["AdministratorAccess", "ReadOnlyAccess", "job-function/ViewOnlyAccess", SECURITY_AUDIT]
INLINE_CHOICES = {"restart": RESTART, "logs": LOGS, "tickets": TICKETS}
EXTRA_TAGS = [None, {}, {"team": "msp"}, {"managed-by": "someone else", "msp-role-key": "not kept"}]


def random_spec(rng):
    """A catalogue entry or custom role as the client role resolves it."""
    require_mfa = rng.random() < 0.8
    inline = rng.sample(sorted(INLINE_CHOICES), rng.randint(0, 2))
    fields = {
        "key": rng.choice(["admin", "oncall", "billing"]),
        "role_name": rng.choice(["MspAdmin", "MspOnCall", "Msp.Billing+1"]),
        "description": rng.choice([None, "", "MSP administrators"]),
        "managed_policies": rng.sample(MANAGED_CHOICES, rng.randint(0, 3)),
        "inline_policies": {
            name: rng.choice([INLINE_CHOICES[name], json.dumps(INLINE_CHOICES[name])]) for name in inline
        },
        "require_mfa": require_mfa,
        "mfa_max_age": rng.choice([None, 900, 3600]) if require_mfa else None,
        "max_session_duration": rng.choice([None, 3600, 7200, 43200]),
        "color": rng.choice([None, "F2B0A9"]),
    }
    return role_spec(fields, "ACME Corp", PATH, custom=rng.random() < 0.3)


def _pop_one(rng, items):
    if items:
        items.pop(rng.randrange(len(items)))


def _edit_tags(rng, role):
    tags = {tag["Key"]: tag["Value"] for tag in role["Tags"]}
    kind = rng.choice(["remove", "add", "change"])
    if kind == "remove" and tags:
        tags.pop(rng.choice(sorted(tags)))
    elif kind == "add":
        tags["owner"] = "ops"
    elif tags:
        tags[rng.choice(sorted(tags))] = "edited"
    role["Tags"] = ansible_dict_to_boto3_tag_list(tags)


def _edit_inline(rng, record):
    kind = rng.choice(["change", "add", "remove"])
    names = sorted(record["inline"])
    if kind == "change" and names:
        record["inline"][rng.choice(names)] = rng.choice(list(INLINE_CHOICES.values()))
    elif kind == "add":
        record["inline"]["extra"] = TICKETS
    elif names:
        record["inline"].pop(rng.choice(names))


def _set_description(rng, role):
    description = rng.choice([None, "", "edited", "MSP administrators"])
    role.pop("Description", None)
    if description:
        role["Description"] = description


def _attach_one(rng, record):
    arn = rng.choice([ADMIN, READ_ONLY, SECURITY_AUDIT, LOCAL_POLICY])
    if arn not in record["attached"]:
        record["attached"].append(arn)


ROLE_MUTATIONS = [
    lambda rng, record: _pop_one(rng, record["attached"]),
    _attach_one,
    lambda rng, record: record["Role"].update(AssumeRolePolicyDocument=copy.deepcopy(rng.choice(TRUSTS))),
    lambda rng, record: _edit_tags(rng, record["Role"]),
    _edit_inline,
    lambda rng, record: _set_description(rng, record["Role"]),
    lambda rng, record: record["Role"].update(MaxSessionDuration=rng.choice([3600, 7200, 43200])),
    lambda rng, record: record["profiles"].append("web"),
]


def mutate_role(rng, estate, name):
    """The role as a run made it, then edited by hand: 0 to 3 edits, now and then moved to another path or deleted."""
    record = estate.roles[name]
    for mutation in rng.sample(ROLE_MUTATIONS, rng.randint(0, 3)):
        mutation(rng, record)
    fate = rng.random()
    if fate < 0.05:
        record["Role"]["Path"] = "/other/"
    elif fate < 0.1:
        del estate.roles[name]


def aws_xacct_role_check_mode(iam, options):
    """What aws_xacct_role's main() reports in check mode with these options (bar a new role's predicted ARN)."""
    desired = desired_role(options, PARTITION)
    actual = read_role(iam, options["name"], sorted(desired["inline_policies"] or {}))
    try:
        changed, after, changes = ensure_present(iam, desired, actual, check_mode=True)
    except InvalidInput as e:
        return {"failed": True, "msg": str(e)}
    return {"changed": changed, "changes": changes, "diff": {"before": actual or {}, "after": after or {}}}


def _public_diff(diff):
    return {side: _without(state, ("instance_profiles",)) for side, state in diff.items()}


@pytest.mark.parametrize("seed", range(300))
def test_a_roles_verdict_is_what_aws_xacct_role_reports_in_check_mode(seed):
    rng = random.Random(seed)
    options = xacct_role_options(random_spec(rng), PATH, MSP, rng.choice(EXTRA_TAGS))
    client = entry(roles=[options])
    estate = Estate.onboarded(client)
    mutate_role(rng, estate, options["name"])
    verdict = verdict_of(client, estate)
    module = aws_xacct_role_check_mode(estate.iam(), options)
    drifts = module.get("failed") or module["changed"]
    subject = role_subject(PATH, options["name"])
    assert verdict["verdict"] == (DRIFT if drifts else IN_SYNC)
    assert [d["subject"] for d in verdict["differences"]] == ([subject] if drifts else [])
    if module.get("failed"):
        assert verdict["differences"][0]["result"]["msg"] == module["msg"]
    elif drifts:
        result = verdict["differences"][0]["result"]
        assert result["changes"] == module["changes"]
        assert _public_diff(result["diff"]) == module["diff"]
        assert drift_entry(subject, result) == drift_entry(subject, module)


def test_the_generated_roles_cover_every_outcome():
    """The generator above reaches each outcome often: drift, in sync, a refusal, a missing role."""
    outcomes = {"failed": 0, "changed": 0, "in_sync": 0, "missing": 0}
    for seed in range(300):
        rng = random.Random(seed)
        options = xacct_role_options(random_spec(rng), PATH, MSP, rng.choice(EXTRA_TAGS))
        estate = Estate.onboarded(entry(roles=[options]))
        mutate_role(rng, estate, options["name"])
        module = aws_xacct_role_check_mode(estate.iam(), options)
        outcome = "failed" if module.get("failed") else "changed" if module["changed"] else "in_sync"
        outcomes[outcome] += 1
        outcomes["missing"] += options["name"] not in estate.roles
    assert min(outcomes.values()) >= 10, outcomes


def aws_member_account_check_mode(client, estate):
    """What aws_member_account reports in check mode for an existing account, with the options the member_account
    role passes it: a created account's name only, the OU as '/' ~ ou | trim('/'), tags and contacts when set."""
    contacts = desired_contacts(client["alternate_contacts"]) if client["alternate_contacts"] else None
    desired = {
        "name": client["name"] if client["join"] == "create" else None,
        "parent": PARENTS["/" + client["ou"].strip("/")] if client["ou"] is not None else None,
        "tags": client["tags"],
        "purge_tags": True,
        "alternate_contacts": contacts,
    }
    actual = {
        "name": estate.account["Name"],
        "parent": estate.parent,
        "tags": estate.tags,
        "alternate_contacts": dict(estate.contacts) if contacts is not None else None,
    }
    changes = account_changes(desired, actual)
    after = changed_state(actual, changes)
    diff = {"before": diff_view(result_summary(ACCOUNT, actual)), "after": diff_view(result_summary(ACCOUNT, after))}
    return {"changed": bool(changes), "diff": diff}, sorted(changes)


def random_account_case(rng):
    contact = [None, {}, CONTACT, OTHER_CONTACT]
    tags = [None, {}, {"client": "acme"}, {"client": "acme", "tier": "gold"}]
    kinds = rng.sample(CONTACT_TYPES, rng.randint(0, 3))
    client = entry(
        roles=[],
        join=rng.choice(["create", "invite"]),
        name=rng.choice(["ACME Corp", "Acme"]),
        ou=rng.choice([None, "", "clients", "/clients/", "other"]),
        tags=rng.choice(tags),
        alternate_contacts=rng.choice([None, {}, {kind.lower(): rng.choice(contact) for kind in kinds}]),
    )
    estate = Estate(
        [ACCESS_ROLE],
        parent=rng.choice(list(PARENTS.values())),
        tags=rng.choice(tags[1:]),
        contacts={kind: rng.choice([None, CONTACT, OTHER_CONTACT]) for kind in CONTACT_TYPES},
    )
    estate.account["Name"] = rng.choice(["ACME Corp", "Acme"])
    return client, estate


@pytest.mark.parametrize("seed", range(300))
def test_an_accounts_verdict_is_what_aws_member_account_reports_in_check_mode(seed):
    client, estate = random_account_case(random.Random(seed))
    verdict = verdict_of(client, estate)
    module, parts = aws_member_account_check_mode(client, estate)
    assert verdict["verdict"] == (DRIFT if module["changed"] else IN_SYNC)
    assert [d["subject"] for d in verdict["differences"]] == ([ACCOUNT_SUBJECT] if module["changed"] else [])
    if module["changed"]:
        result = verdict["differences"][0]["result"]
        assert result["diff"] == module["diff"]
        assert what_changes(verdict["differences"][0]) == parts
        assert drift_entry(ACCOUNT_SUBJECT, result)["changes"] == drift_entry(ACCOUNT_SUBJECT, module)["changes"]


def test_the_generated_accounts_drift_and_stay_in_sync():
    changed = [aws_member_account_check_mode(*random_account_case(random.Random(s)))[0]["changed"] for s in range(300)]
    assert 30 <= changed.count(True) <= 270


# --- the bulk IAM read -------------------------------------------------------------------------------------

WEB = iam_role(
    "Web",
    TRUST,
    "/app/",
    "web servers",
    7200,
    {"team": "web"},
    READ_ONLY,
    attached=[READ_ONLY, ADMIN],
    inline={"restart": RESTART, "logs": LOGS},
    profiles=["web-b", "web-a"],
)
BARE = iam_role("Bare", SERVICE_TRUST, "/")
DOCUMENT_FORMS = {
    "as-boto3-decodes-them": copy.deepcopy,
    "json-text": json.dumps,
    "url-encoded": lambda document: quote(json.dumps(document)),
}


@pytest.mark.parametrize("form", DOCUMENT_FORMS.values(), ids=DOCUMENT_FORMS)
def test_roles_from_details_are_what_read_role_reads(form):
    estate = Estate([WEB, BARE, ACCESS_ROLE])
    roles = roles_from_details(estate.details(form), estate.listed(form))
    iam = estate.iam()
    assert sorted(roles) == ["Bare", ACCESS, "Web"]
    for name, record in estate.roles.items():
        assert _without(roles[name], ("instance_profiles",)) == read_role(iam, name, sorted(record["inline"]))
    web = roles["Web"]
    assert web["inline_policy_documents"] == {"restart": RESTART, "logs": LOGS}
    assert web["trust_policy"] == TRUST
    assert (web["description"], web["max_session_duration"], web["permissions_boundary"]) == (
        "web servers",
        7200,
        READ_ONLY,
    )
    assert (web["tags"], web["managed_policies"]) == ({"team": "web"}, [ADMIN, READ_ONLY])
    assert (roles["Bare"]["description"], roles["Bare"]["tags"], roles["Bare"]["inline_policies"]) == (None, {}, [])


def test_roles_from_details_keep_the_instance_profiles_as_aws_xacct_role_lists_them():
    roles = roles_from_details(Estate([WEB, BARE]).details(), Estate([WEB, BARE]).listed())
    assert (roles["Web"]["instance_profiles"], roles["Bare"]["instance_profiles"]) == (["web-a", "web-b"], [])


def test_a_stale_role_is_removed_as_aws_xacct_role_state_absent_would():
    client, estate = verdict_case("in-sync")
    add_role(iam_role("MspOld", TRUST, attached=[READ_ONLY], inline={"debug": RESTART}, profiles=["web", "batch"]))(
        estate
    )
    [difference] = verdict_of(client, estate)["differences"]
    iam = estate.iam()
    changed, _after, changes = ensure_absent(iam, read_role(iam, "MspOld"), check_mode=True)
    assert changed is True
    assert difference["result"]["changes"] == changes
    assert [change["action"] for change in changes][:2] == ["RemoveRoleFromInstanceProfile"] * 2


# --- plan(), over a fake reader ----------------------------------------------------------------------------


class FakeReader:
    """What plan() asks of EstateReader, answered from an Estate per host; records what it was asked."""

    partition = PARTITION

    def __init__(self, estates, problems=()):
        self.estates = estates
        self.problems = list(problems)
        self.asked = {}

    def read_organization(self, wanted_paths, service_principals):
        self.asked["organization"] = (sorted(set(wanted_paths)), list(service_principals))
        return {path: PARENTS.get(path) for path in wanted_paths}, self.problems

    def observe_all(self, desired_clients, parents, read_root_of):
        self.asked["root"] = {desired["host"]: read_root_of(desired) for desired in desired_clients}
        return [self.estates[d["host"]].observed(d, parents, read_root_of(d)) for d in desired_clients]


def onboarded_reader(*clients, problems=()):
    return FakeReader({client["host"]: Estate.onboarded(client) for client in clients}, problems)


def test_plan_keeps_the_clients_order_and_an_entry_it_cannot_use_stops_no_other():
    bad_role = dict(entry()["roles"][0], name="Msp Admin")
    clients = [entry(host="first"), entry(host="bad", roles=[bad_role]), entry(host="last")]
    reader = onboarded_reader(clients[0], clients[2])
    change(tags={})(reader.estates["last"])
    result = plan(reader, clients)
    assert [(v["host"], v["verdict"]) for v in result["clients"]] == [
        ("first", IN_SYNC),
        ("bad", ERROR),
        ("last", DRIFT),
    ]
    bad = result["clients"][1]
    assert bad["error"].startswith("name: ")
    assert (bad["account_id"], bad["differences"]) == (None, [])
    assert list(reader.asked["root"]) == ["first", "last"]


READ_ROOT = {
    "delete": {"deleting": True, "keeping": False},
    "all": {"deleting": True, "keeping": True},
    "none": {"deleting": False, "keeping": False},
}


@pytest.mark.parametrize(("read_root", "read"), READ_ROOT.items(), ids=READ_ROOT)
def test_plan_reads_the_root_credentials_read_root_names(read_root, read):
    clients = [entry(host="deleting"), entry(host="keeping", root_credentials="keep")]
    reader = onboarded_reader(*clients)
    for estate in reader.estates.values():
        estate.root = ROOT_KEYS
    result = plan(reader, clients, read_root=read_root)
    assert reader.asked["root"] == read
    assert {v["host"]: "root_credentials" in v for v in result["clients"]} == read
    # Only credentials read under a delete policy are drift.
    assert result["clients"][0]["verdict"] == (DRIFT if read["deleting"] else IN_SYNC)
    assert result["clients"][1]["verdict"] == IN_SYNC


def test_plan_returns_roles_and_root_credentials_as_the_info_modules_return_them():
    client = entry()
    reader = onboarded_reader(client)
    estate = reader.estates["acme"]
    estate.root = ROOT_KEYS
    [verdict] = plan(reader, [client])["clients"]
    # aws_xacct_role_info: roles_letting_in over ListRoles, with no account ids or principals asked about.
    assert verdict["roles"] == roles_letting_in(list_roles(estate.iam()))
    assert [role["name"] for role in verdict["roles"]] == ["MspAdmin", "MspOnCall", ACCESS]
    # aws_root_credentials with state=audited.
    assert verdict["root_credentials"] == {
        "account_id": MEMBER,
        "has_credentials": True,
        "login_profile": True,
        "login_profile_created": WHEN.isoformat(),
        "access_keys": [{"access_key_id": KEY["AccessKeyId"], "status": "Active", "created": WHEN.isoformat()}],
        "signing_certificates": [],
        "mfa_devices": [],
    }


def test_plan_returns_no_roles_or_root_credentials_for_a_client_it_could_not_read():
    client = entry()
    reader = onboarded_reader(client)
    reader.estates["acme"].error = "AccessDenied: no"
    [verdict] = plan(reader, [client])["clients"]
    assert verdict["verdict"] == ERROR
    assert "roles" not in verdict and "root_credentials" not in verdict


def test_plan_asks_the_organization_for_every_wanted_ou_and_passes_on_its_problems():
    clients = [entry(host=host, ou=ou) for host, ou in (("a", "clients"), ("b", "/clients/"), ("c", None), ("d", ""))]
    problem = {"subject": "the OU /other", "msg": "missing"}
    reader = onboarded_reader(*(c for c in clients if c["ou"] is not None), problems=[problem])
    reader.estates["c"] = Estate.onboarded(clients[0])
    result = plan(reader, clients, ["other", "/clients"], ["account.amazonaws.com"])
    assert reader.asked["organization"] == (["/", "/clients", "/other"], ["account.amazonaws.com"])
    assert result["organization"] == [problem]


def test_a_missing_client_ou_is_that_clients_drift_and_a_missing_organization_ou_everyones():
    clients = [entry(host="own", ou="/clients/own"), entry(host="other")]
    reader = onboarded_reader(clients[1])
    reader.estates["own"] = Estate.onboarded(clients[1])
    own_ou = {"subject": "the OU /clients/own", "path": "/clients/own", "msg": "missing"}
    org_ou = {"subject": "the OU /shared", "path": "/shared", "msg": "missing"}
    reader.problems = [own_ou, org_ou]
    result = summarise(plan(reader, clients, ["/clients", "shared"]))
    assert result["organization"] == [org_ou]
    assert result["to_run"] == ["own", "other"]
    reader.problems = [own_ou]
    result = summarise(plan(reader, clients, ["/clients"]))
    # The client's own OU no longer makes the others run (EstateReader.observe makes its client an error).
    assert result["organization"] == []
    assert "other" in result["in_sync"]


def test_summarise_runs_every_client_when_the_organization_drifted():
    clients = [entry(host="a"), entry(host="b")]
    problem = {"subject": "trusted access for account.amazonaws.com", "msg": "not enabled: a run enables it"}
    result = summarise(plan(onboarded_reader(*clients, problems=[problem]), clients))
    assert [v["verdict"] for v in result["clients"]] == [IN_SYNC, IN_SYNC]
    assert (result["in_sync"], result["to_run"], result["organization"]) == ([], ["a", "b"], [problem])


def test_summarise_runs_only_the_clients_that_differ_or_could_not_be_read():
    clients = [entry(host=host) for host in ("drifted", "in-sync", "unread", "forced")]
    clients[3]["force"] = "the client's credentials are given"
    reader = onboarded_reader(*clients)
    change(tags={})(reader.estates["drifted"])
    reader.estates["unread"].error = "AccessDenied: no"
    result = summarise(plan(reader, clients))
    assert (result["in_sync"], result["to_run"]) == (["in-sync"], ["drifted", "unread", "forced"])
    assert [len(v["drift"]) for v in result["clients"]] == [1, 0, 0, 0]


# --- the planner's input: plan_entry and xacct_role_options ------------------------------------------------


@pytest.mark.parametrize(
    ("ou", "path"),
    [(None, None), ("", "/"), ("/", "/"), ("clients", "/clients"), ("/Clients/Prod/", "/Clients/Prod")],
    ids=["unset", "root", "root-slash", "name", "slashes"],
)
def test_parent_path_is_the_member_account_roles_parent(ou, path):
    assert parent_path(ou) == path


def test_parent_path_refuses_an_empty_level():
    with pytest.raises(InvalidInput) as raised:
        parent_path("clients//prod")
    assert raised.value.option == "ou"


# The aws_xacct_role task's options as roles/xacct_roles/tasks/main.yml wrote them in Jinja before the
# xacct_role_options filter (commit 55d347e): the filter must give exactly these.
FORMER_XACCT_ROLE_TASK = yaml.safe_load(
    r"""
name: "{{ xacct_roles_item.role_name }}"
path: "{{ xacct_roles_path }}"
description: "{{ omit if xacct_roles_item.description | default(none) is none else xacct_roles_item.description }}"
trusted_account_ids: ["{{ xacct_roles_trusted_account_id }}"]
require_mfa: "{{ xacct_roles_item.require_mfa | default(true) }}"
mfa_max_age: "{{ xacct_roles_item.mfa_max_age | default(omit, true) }}"
managed_policies: "{{ xacct_roles_item.managed_policies | default([], true) }}"
inline_policies: "{{ xacct_roles_item.inline_policies | default({}, true) }}"
purge_policies: true
max_session_duration: "{{ xacct_roles_item.max_session_duration | default(3600, true) }}"
display_name: "{{ xacct_roles_item.display_name | default(omit, true) }}"
color: "{{ xacct_roles_item.color | default(omit, true) }}"
tags: >-
  {{ {'managed-by': 'msp.aws_accounts'} | combine(xacct_roles_tags,
     {'msp-identity-account': xacct_roles_trusted_account_id, 'msp-role-key': xacct_roles_item.key,
      'msp-role-kind': 'custom' if xacct_roles_item.custom | default(false) else 'catalogue'}) }}
purge_tags: true
"""
)


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return {key: _trusted(item) for key, item in value.items()} if isinstance(value, dict) else value


def former_options(spec, path=PATH, trusted_account_id=MSP, tags=None):
    """The former task's options for one role spec, as Ansible templates them (omitted options left out)."""
    variables = {
        "xacct_roles_item": spec,
        "xacct_roles_path": path,
        "xacct_roles_trusted_account_id": trusted_account_id,
        "xacct_roles_tags": tags or {},
    }
    return Templar(loader=DataLoader(), variables=variables).template(_trusted(FORMER_XACCT_ROLE_TASK))


CUSTOM = role_spec(
    {"key": "deploy", "role_name": "Deployer", "inline_policies": {"tickets": TICKETS, "logs": json.dumps(LOGS)}},
    "ACME Corp",
    PATH,
    custom=True,
    where="client_custom_roles",
)
ROLE_SPECS = {
    "catalogue-role": (SPECS[0], None),
    "no-description": (role_spec({"key": "ro", "role_name": "MspReadOnly"}, "ACME Corp", PATH), None),
    "empty-description-kept": (dict(SPECS[0], description=""), None),
    "custom-role-with-inline-policies": (CUSTOM, None),
    "display-name-color-mfa-age": (SPECS[1], None),
    "no-mfa": (dict(SPECS[0], require_mfa=False, mfa_max_age=None), None),
    "bare-spec-gets-the-defaults": ({"key": "k", "role_name": "R"}, None),
    "empty-values-get-the-defaults": (
        dict(SPECS[1], managed_policies=[], inline_policies={}, max_session_duration=0, mfa_max_age=0, color=""),
        None,
    ),
    "extra-tags-never-replace-the-msps": (SPECS[0], {"team": "ops", "managed-by": "ops", "msp-role-key": "x"}),
}


@pytest.mark.parametrize(("spec", "tags"), ROLE_SPECS.values(), ids=ROLE_SPECS)
def test_xacct_role_options_are_the_former_jinjas(spec, tags):
    assert xacct_role_options(spec, PATH, MSP, tags) == former_options(spec, tags=tags)


def test_xacct_role_options_of_a_catalogue_role():
    assert xacct_role_options(SPECS[1], PATH, MSP) == {
        "name": "MspOnCall",
        "path": PATH,
        "trusted_account_ids": [MSP],
        "require_mfa": True,
        "mfa_max_age": 3600,
        "managed_policies": ["ReadOnlyAccess"],
        "inline_policies": {"restart": RESTART},
        "purge_policies": True,
        "max_session_duration": 7200,
        "display_name": "ACME Corp oncall",
        "color": "F2B0A9",
        "tags": {
            "managed-by": "msp.aws_accounts",
            "msp-identity-account": MSP,
            "msp-role-key": "oncall",
            "msp-role-kind": "catalogue",
        },
        "purge_tags": True,
    }


HOSTVARS = {
    "inventory_hostname": "acme",
    "client_root_email": EMAIL,
    "client_resolved_join": "create",
    "client_name": "ACME Corp",
    "client_resolved_ou": "clients",
    "client_resolved_tags": {"client": "acme"},
    "client_resolved_alternate_contacts": {"security": CONTACT},
    "client_role_specs": [*SPECS, CUSTOM],
    "client_access_role_name": ACCESS,
    "client_resolved_root_credentials": "delete",
}


def test_plan_entry_gives_the_onboardings_inputs():
    # onboard.yml gives the xacct_roles role no xacct_roles_tags: its default, {}.
    roles = [former_options(spec) for spec in HOSTVARS["client_role_specs"]]
    assert plan_entry(HOSTVARS, PATH, MSP) == _without(entry(roles=roles), ("force",))


INVITED = dict(HOSTVARS, client_resolved_join="invite", client_account_id=MEMBER)
CREDENTIALS = {"access_key": "AKIAEXAMPLE", "secret_key": "secret"}
PLAN_ENTRIES = {
    "invited-with-credentials-forced": (
        dict(INVITED, client_credentials=CREDENTIALS),
        True,
        {
            "join": "invite",
            "account_id": MEMBER,
            "force": "the client's credentials are given: the access role is checked with them",
        },
    ),
    "invited-without-credentials": (
        dict(INVITED, client_credentials=None),
        True,
        {"join": "invite", "account_id": MEMBER},
    ),
    "created-with-credentials": (dict(HOSTVARS, client_credentials=CREDENTIALS), True, {}),
    "root-access-off-keeps-root": (HOSTVARS, False, {"root_credentials": "keep"}),
    "root-access-on-keeps-the-policy": (
        dict(HOSTVARS, client_resolved_root_credentials="keep"),
        True,
        {"root_credentials": "keep"},
    ),
    "empty-contacts-left-alone": (
        dict(HOSTVARS, client_resolved_alternate_contacts={}),
        True,
        {"alternate_contacts": None},
    ),
}


@pytest.mark.parametrize(("hostvars", "root_access", "differences"), PLAN_ENTRIES.values(), ids=PLAN_ENTRIES)
def test_plan_entry(hostvars, root_access, differences):
    """Each case differs from HOSTVARS' entry in ``differences`` only."""
    assert plan_entry(hostvars, PATH, MSP, root_access) == dict(plan_entry(HOSTVARS, PATH, MSP), **differences)


def test_an_onboarded_client_from_its_host_variables_is_in_sync():
    client = plan_entry(HOSTVARS, PATH, MSP)
    result = summarise(plan(onboarded_reader(client), [client]))
    assert (result["in_sync"], result["clients"][0]["differences"]) == (["acme"], [])
