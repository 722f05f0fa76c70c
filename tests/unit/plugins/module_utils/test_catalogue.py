"""catalogue: a client's role specs from the MSP's catalogue, and the clients matched with their accounts."""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.msp.aws_accounts.plugins.module_utils.catalogue import (
    ROLE_ENTRY_DEFAULTS,
    client_accounts,
    client_coverage,
    client_role_specs,
    display_name,
    entry_fields,
    role_spec,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput

REPO = Path(__file__).resolve().parents[4]
SANDBOX_MSP = yaml.safe_load((REPO / "inventories/sandbox/group_vars/all/msp.yml").read_text())
CATALOGUE = SANDBOX_MSP["msp_role_catalogue"]


def _argument_spec_defaults(role, *path):
    spec = yaml.safe_load((REPO / f"roles/{role}/meta/argument_specs.yml").read_text())["argument_specs"]["main"]
    options = spec["options"]
    for name in path:
        options = options[name]["options"]
    return {name: option.get("default") for name, option in options.items() if name not in ("key", "role_name")}


@pytest.mark.parametrize(
    ("role", "variable"), [("msp", "msp_role_catalogue"), ("client", "client_custom_roles")], ids=["msp", "client"]
)
def test_entry_defaults_are_the_argument_specs(role, variable):
    assert _argument_spec_defaults(role, variable) == ROLE_ENTRY_DEFAULTS


MINIMAL = {"key": "ops", "role_name": "MspOps"}
SPECS = {
    "defaults-applied": (
        MINIMAL,
        {
            "key": "ops",
            "role_name": "MspOps",
            "path": "/msp/",
            "description": None,
            "managed_policies": [],
            "inline_policies": {},
            "require_mfa": True,
            "mfa_max_age": None,
            "max_session_duration": 3600,
            "color": None,
            "display_name": "ACME Corp ops",
            "engineer_groups": [],
            "custom": False,
        },
    ),
    "null-means-default": (dict(MINIMAL, require_mfa=None, managed_policies=None), {"require_mfa": True}),
    "argument-spec-conversions": (
        dict(MINIMAL, max_session_duration="7200", require_mfa="no", managed_policies="ReadOnlyAccess,ViewOnlyAccess"),
        {"max_session_duration": 7200, "require_mfa": False, "managed_policies": ["ReadOnlyAccess", "ViewOnlyAccess"]},
    ),
    "yaml-number-colour": (dict(MINIMAL, color=123456), {"color": "123456"}),
    "json-text-policy-parsed": (
        dict(MINIMAL, inline_policies={"Read": '{"Version": "2012-10-17", "Statement": []}'}),
        {"inline_policies": {"Read": {"Version": "2012-10-17", "Statement": []}}},
    ),
    "mapping-policy-kept": (
        dict(MINIMAL, inline_policies={"Read": {"Statement": [{"Effect": "Allow"}]}}),
        {"inline_policies": {"Read": {"Statement": [{"Effect": "Allow"}]}}},
    ),
}


@pytest.mark.parametrize(("entry", "expected"), SPECS.values(), ids=SPECS.keys())
def test_role_spec(entry, expected):
    spec = role_spec(entry, "ACME Corp", "/msp/")
    assert {field: spec[field] for field in expected} == expected


def test_role_spec_does_not_share_defaults():
    first = role_spec(MINIMAL, "A", "/msp/")
    first["managed_policies"].append("X")
    assert role_spec(MINIMAL, "A", "/msp/")["managed_policies"] == []


def test_display_name_is_cut_to_what_the_console_shows():
    assert display_name("N" * 70, "admin") == "N" * 58 + " admin"
    assert display_name("ACME Corp", "oncall") == "ACME Corp oncall"
    assert display_name("N", "k" * 70) == "k" * 64


def test_display_names_of_one_client_stay_apart_when_cut():
    # A client name of 50 characters (the most) and keys that share their first 13 characters: cutting the
    # label at the end would give both roles the same label in the console's menu.
    name = "Northwind Traders International Holdings Group Ltd"
    keys = ["admin-production-eu", "admin-production-us", "k" * 32]
    labels = [display_name(name, key) for key in keys]
    assert len(set(labels)) == len(keys), labels
    assert all(len(label) <= 64 and label.endswith(f" {key}") for label, key in zip(labels, keys, strict=True))
    assert labels[0] == "Northwind Traders International Holdings Gro admin-production-eu"


SPEC_ERRORS = {
    "no-role-name": ({"key": "ops"}, "msp_role_catalogue.role_name: is required"),
    "not-a-mapping": ("admin", "msp_role_catalogue: must be a mapping"),
    "policy-not-json": (dict(MINIMAL, inline_policies={"Read": "{nope"}), "inline_policies.Read: is not valid JSON"),
    "duration-not-a-number": (dict(MINIMAL, max_session_duration="long"), "must be a whole number of seconds"),
}


@pytest.mark.parametrize(("entry", "message"), SPEC_ERRORS.values(), ids=SPEC_ERRORS.keys())
def test_role_spec_errors(entry, message):
    with pytest.raises(InvalidInput) as raised:
        role_spec(entry, "ACME Corp", "/msp/")
    assert message in str(raised.value)


def test_entry_fields_reports_every_problem():
    _fields, problems = entry_fields({"key": "ops", "require_mfa": "maybe", "mfa_max_age": "old"})
    assert [field for field, _rule in problems] == ["role_name", "require_mfa", "mfa_max_age"]


CUSTOM = {"key": "analyst", "role_name": "HooliAnalyst", "managed_policies": ["ReadOnlyAccess"]}
SELECTIONS = {
    "unset-gets-the-defaults": (None, [], ["admin", "engineer", "oncall"]),
    "empty-gets-none": ([], [], []),
    "client-order-kept": (["oncall", "admin"], [], ["oncall", "admin"]),
    "custom-after-catalogue": (["oncall"], [CUSTOM], ["oncall", "analyst"]),
    "comma-string": ("oncall,engineer", [], ["oncall", "engineer"]),
}


@pytest.mark.parametrize(("roles", "custom", "keys"), SELECTIONS.values(), ids=SELECTIONS.keys())
def test_client_role_specs_selection(roles, custom, keys):
    specs = client_role_specs(CATALOGUE, "Hooli", roles, custom, "/msp/", ["admin", "engineer", "oncall"])
    assert [spec["key"] for spec in specs] == keys
    assert [spec["custom"] for spec in specs] == [spec["key"] == "analyst" for spec in specs]
    assert all(spec["path"] == "/msp/" and spec["display_name"] == f"Hooli {spec['key']}" for spec in specs)


def test_client_role_specs_catalogue_values():
    engineer = client_role_specs(CATALOGUE, "ACME Corp", ["engineer"])[0]
    assert engineer["role_name"] == "MspEngineer"
    assert engineer["max_session_duration"] == 14400
    assert engineer["engineer_groups"] == ["msp-admins", "msp-engineers"]
    assert engineer["inline_policies"]["EngineerServiceRoles"]["Statement"][0]["Sid"] == "PassRolesToServices"


SELECTION_ERRORS = {
    "unknown-key": (["admn"], [], "client_roles: 'admn' is not in msp_role_catalogue (known: admin, engineer, oncall)"),
    "custom-clashes": (["admin"], [dict(CUSTOM, key="admin")], "the key 'admin' is given twice"),
    "custom-bad-policy": ([], [dict(CUSTOM, inline_policies={"P": "[]"})], "client_custom_roles[0].inline_policies.P"),
}


@pytest.mark.parametrize(("roles", "custom", "message"), SELECTION_ERRORS.values(), ids=SELECTION_ERRORS.keys())
def test_client_role_specs_errors(roles, custom, message):
    with pytest.raises(InvalidInput) as raised:
        client_role_specs(CATALOGUE, "ACME Corp", roles, custom)
    assert message in str(raised.value)


def _client(host, join="create", email=None, account_id=None):
    client = {
        "inventory_hostname": host,
        "client_resolved_key": host,
        "client_name": host.title(),
        "client_join": join,
        "client_root_email": email or f"awsaccounts+{host}@msp.example",
        "client_role_specs": [{"key": "admin"}],
    }
    if account_id:
        client["client_account_id"] = account_id
    return client


def _account(account_id, email, state="ACTIVE"):
    return {
        "id": account_id,
        "arn": f"arn:aws:organizations::1:account/o-1/{account_id}",
        "email": email,
        "state": state,
    }


CLIENTS = [
    _client("zeta"),
    _client("acme"),
    _client("globex", "invite", "aws-root@globex.example", "210987654321"),
    _client("hooli"),
    _client("initech", "invite", None, "333333333333"),
]
ACCOUNTS = [
    _account("111111111111", "AWSACCOUNTS+ACME@msp.example"),
    # The invited account's root email is not what the inventory says: the id decides.
    _account("210987654321", "root@globex.example"),
    _account("222222222222", "awsaccounts+hooli@msp.example", state="SUSPENDED"),
    _account("444444444444", "awsaccounts+zeta@msp.example"),
    # Another client's address does not make an invited client a member.
    _account("555555555555", "awsaccounts+initech@msp.example"),
]


def test_client_accounts_matches_created_by_email_and_invited_by_id():
    found = client_accounts(copy.deepcopy(CLIENTS), ACCOUNTS)
    assert [(c["host"], c["account_id"], c["join"]) for c in found] == [
        ("acme", "111111111111", "create"),
        ("globex", "210987654321", "invite"),
        ("zeta", "444444444444", "create"),
    ]
    acme = found[0]
    assert acme == {
        "host": "acme",
        "key": "acme",
        "name": "Acme",
        "account_id": "111111111111",
        "join": "create",
        "email": "AWSACCOUNTS+ACME@msp.example",
        "roles": [{"key": "admin"}],
    }


def test_client_accounts_reads_the_join_the_client_role_resolved():
    # hostvars hold no role default: an entry relying on client_join's default has only the client role's fact.
    globex = _client("globex", "invite", "aws-root@globex.example", "210987654321")
    del globex["client_join"]
    globex["client_resolved_join"] = "invite"
    found = client_accounts([globex], ACCOUNTS)
    assert [(c["host"], c["account_id"], c["join"]) for c in found] == [("globex", "210987654321", "invite")]


def test_client_accounts_without_accounts():
    assert client_accounts(CLIENTS, []) == []


def test_client_accounts_needs_the_client_role_facts():
    bare = {"inventory_hostname": "acme", "client_name": "ACME"}
    with pytest.raises(InvalidInput, match=r"acme: has no client_resolved_key or client_role_specs: run"):
        client_accounts([bare], ACCOUNTS)


# client_coverage: the same matching, seen from the organization's side too.
MANAGEMENT = _account("123456789012", "awsaccounts@msp.example")
HAND_MADE = dict(_account("999999999999", "someone@msp.example"), name="Test", joined_method="CREATED")


def _coverage_summary(coverage):
    return {
        "undeclared": [account["id"] for account in coverage["undeclared_accounts"]],
        "closing": [(account["id"], account["state"]) for account in coverage["closing_accounts"]],
        "missing": [(c["host"], c["join"], c["expected"]) for c in coverage["missing_clients"]],
        "inactive": [(c["host"], c["account_id"], c["state"]) for c in coverage["inactive_clients"]],
        "matched": [(c["host"], c["account_id"]) for c in coverage["matched"]],
    }


COVERAGE_CASES = {
    # zeta, acme (email in other case) and globex (by id, whatever its email) match; hooli's account is suspended;
    # initech's invited id is absent, and the account with initech's plus-address is nobody's.
    "every-kind": (
        CLIENTS,
        [*ACCOUNTS, MANAGEMENT, HAND_MADE],
        ["123456789012"],
        None,
        {
            "undeclared": ["555555555555", "999999999999"],
            "missing": [("initech", "invite", "333333333333")],
            "inactive": [("hooli", "222222222222", "SUSPENDED")],
            "matched": [("acme", "111111111111"), ("globex", "210987654321"), ("zeta", "444444444444")],
        },
    ),
    "msp-accounts-are-never-undeclared": (
        [],
        [MANAGEMENT, HAND_MADE],
        ["123456789012", "999999999999"],
        None,
        {"undeclared": [], "missing": [], "inactive": [], "matched": []},
    ),
    "without-msp-accounts-the-management-account-is-undeclared": (
        [],
        [HAND_MADE, MANAGEMENT],
        None,
        None,
        {"undeclared": ["123456789012", "999999999999"], "missing": [], "inactive": [], "matched": []},
    ),
    "a-missing-created-client-expects-its-root-email": (
        [_client("newco")],
        [MANAGEMENT],
        ["123456789012"],
        None,
        {
            "undeclared": [],
            "missing": [("newco", "create", "awsaccounts+newco@msp.example")],
            "inactive": [],
            "matched": [],
        },
    ),
    # An account declared by a client left out of the selection is still declared.
    "selection-limits-the-clients-not-the-undeclared": (
        CLIENTS,
        [*ACCOUNTS, MANAGEMENT],
        ["123456789012"],
        ["acme", "initech"],
        {
            "undeclared": ["555555555555"],
            "missing": [("initech", "invite", "333333333333")],
            "inactive": [],
            "matched": [("acme", "111111111111")],
        },
    ),
    "an-empty-selection-reports-only-undeclared-accounts": (
        CLIENTS,
        [*ACCOUNTS, HAND_MADE],
        [],
        [],
        {"undeclared": ["555555555555", "999999999999"], "missing": [], "inactive": [], "matched": []},
    ),
    # A created client's root email in other case than the account's: the client's side is compared in lower case.
    "a-client-email-in-upper-case-matches": (
        [_client("acme", email="AwsAccounts+ACME@MSP.example")],
        [_account("111111111111", "awsaccounts+acme@msp.example"), MANAGEMENT],
        ["123456789012"],
        None,
        {"undeclared": [], "missing": [], "inactive": [], "matched": [("acme", "111111111111")]},
    ),
    # AWS lists a closed account up to 90 days: nobody's closing accounts are apart, no finding; an account
    # still being created is not closing.
    "undeclared-accounts-closing-or-closed-are-apart": (
        [],
        [
            _account("666666666666", "a@msp.example", "PENDING_CLOSURE"),
            _account("777777777777", "b@msp.example", "SUSPENDED"),
            _account("888888888888", "c@msp.example", "CLOSED"),
            _account("999999999998", "d@msp.example", "PENDING_ACTIVATION"),
            HAND_MADE,
            MANAGEMENT,
        ],
        ["123456789012"],
        None,
        {
            "undeclared": ["999999999998", "999999999999"],
            "closing": [
                ("666666666666", "PENDING_CLOSURE"),
                ("777777777777", "SUSPENDED"),
                ("888888888888", "CLOSED"),
            ],
            "missing": [],
            "inactive": [],
            "matched": [],
        },
    ),
    # A declared client's closing account is the client's, not nobody's: the entry should go (a finding).
    "a-client-whose-account-is-closing-is-inactive": (
        [_client("hooli")],
        [_account("222222222222", "awsaccounts+hooli@msp.example", "PENDING_CLOSURE"), MANAGEMENT],
        ["123456789012"],
        None,
        {"undeclared": [], "missing": [], "inactive": [("hooli", "222222222222", "PENDING_CLOSURE")], "matched": []},
    ),
    "an-empty-organization": (
        [_client("acme")],
        [],
        ["123456789012"],
        None,
        {
            "undeclared": [],
            "missing": [("acme", "create", "awsaccounts+acme@msp.example")],
            "inactive": [],
            "matched": [],
        },
    ),
}


@pytest.mark.parametrize(
    ("clients", "accounts", "msp_accounts", "selected", "expected"), COVERAGE_CASES.values(), ids=COVERAGE_CASES.keys()
)
def test_client_coverage(clients, accounts, msp_accounts, selected, expected):
    summary = _coverage_summary(client_coverage(copy.deepcopy(clients), accounts, msp_accounts, selected))
    assert summary == {"closing": [], **expected}


def test_client_coverage_entries_and_findings():
    coverage = client_coverage(
        copy.deepcopy(CLIENTS[1:]), [ACCOUNTS[0], ACCOUNTS[2], MANAGEMENT, HAND_MADE], ["123456789012"]
    )
    # The undeclared account as aws_member_account_info returns it.
    assert coverage["undeclared_accounts"] == [HAND_MADE]
    assert coverage["matched"] == [{"host": "acme", "key": "acme", "account_id": "111111111111"}]
    assert coverage["missing_clients"] == [
        {"host": "globex", "key": "globex", "join": "invite", "expected": "210987654321"},
        {"host": "initech", "key": "initech", "join": "invite", "expected": "333333333333"},
    ]
    assert coverage["inactive_clients"] == [
        {"host": "hooli", "key": "hooli", "account_id": "222222222222", "state": "SUSPENDED"}
    ]
    assert coverage["findings"] == [
        "Account 999999999999 (Test, someone@msp.example, ACTIVE, joined CREATED) is in the organization, but no "
        "client declares it and it is not one of the MSP's own accounts (msp_own_account_ids)",
        "Client globex (invite) is missing from the organization: the invited account 210987654321 is not a member",
        "Client initech (invite) is missing from the organization: the invited account 333333333333 is not a member",
        "Client hooli: its account 222222222222 is SUSPENDED, not ACTIVE: the account is being closed or is closed "
        "(AWS lists it up to 90 days after): once it is handed over to the client or closed, remove the client's "
        "entry (hooli from the inventory's clients group and its host_vars)",
    ]
    assert coverage["closing_accounts"] == []


def test_client_coverage_closing_accounts_are_no_finding_and_an_account_being_created_says_to_wait():
    closing = dict(_account("666666666666", "gone@msp.example", "CLOSED"), name="Old")
    coverage = client_coverage(
        [_client("acme")], [_account("111111111111", "awsaccounts+acme@msp.example", "PENDING_ACTIVATION"), closing]
    )
    assert coverage["closing_accounts"] == [closing]
    assert coverage["undeclared_accounts"] == []
    assert coverage["findings"] == [
        "Client acme: its account 111111111111 is PENDING_ACTIVATION, not ACTIVE: run the audit again once AWS has "
        "activated it; if it stays so, see the account in the Organizations console, then onboard it again "
        "(playbooks/onboard.yml) or remove the client's entry"
    ]


def test_client_coverage_of_a_covered_organization_has_no_finding():
    coverage = client_coverage([_client("acme")], [ACCOUNTS[0], MANAGEMENT], ["123456789012"])
    assert coverage["findings"] == []
    assert coverage["matched"] == [{"host": "acme", "key": "acme", "account_id": "111111111111"}]


def test_client_coverage_reads_the_join_the_client_role_resolved():
    globex = _client("globex", "invite", "aws-root@globex.example", "210987654321")
    del globex["client_join"]
    globex["client_resolved_join"] = "invite"
    assert client_coverage([globex], ACCOUNTS)["matched"] == [
        {"host": "globex", "key": "globex", "account_id": "210987654321"}
    ]


def test_client_coverage_needs_only_the_key_fact():
    bare = {"inventory_hostname": "acme", "client_name": "ACME", "client_root_email": "awsaccounts+acme@msp.example"}
    with pytest.raises(InvalidInput, match=r"acme: has no client_resolved_key: run the msp.aws_accounts.client role"):
        client_coverage([bare], ACCOUNTS)
    # The role specs are the switch-role links', not the audit's.
    assert client_coverage([dict(bare, client_resolved_key="acme")], ACCOUNTS)["matched"][0]["account_id"] == (
        "111111111111"
    )
