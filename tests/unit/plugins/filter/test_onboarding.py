"""The onboarding filters: thin wrappers over catalogue and inventory_checks, each documented."""

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.filter import onboarding
from ansible_collections.msp.aws_accounts.plugins.filter.onboarding import (
    FilterModule,
    client_accounts,
    client_coverage,
    client_problems,
    client_role_specs,
    msp_problems,
)

FILTER_DIR = Path(onboarding.__file__).parent
CATALOGUE = [
    {"key": "admin", "role_name": "MspAdmin", "managed_policies": ["AdministratorAccess"]},
    {"key": "oncall", "role_name": "MspOnCall", "managed_policies": ["ReadOnlyAccess"]},
]


def test_every_filter_is_registered_and_documented():
    filters = FilterModule().filters()
    assert filters == {
        "client_role_specs": client_role_specs,
        "msp_problems": msp_problems,
        "client_problems": client_problems,
        "client_accounts": client_accounts,
        "client_coverage": client_coverage,
    }
    for name in filters:
        assert (FILTER_DIR / f"{name}.yml").is_file(), name


def test_client_role_specs():
    specs = client_role_specs(CATALOGUE, "ACME Corp", None, [], "/msp/", ["oncall"])
    assert [(spec["key"], spec["display_name"], spec["require_mfa"]) for spec in specs] == [
        ("oncall", "ACME Corp oncall", True)
    ]


ERRORS = {
    "client_role_specs": (
        lambda: client_role_specs(CATALOGUE, "ACME Corp", ["admn"]),
        "client_role_specs: client_roles: 'admn' is not in msp_role_catalogue (known: admin, oncall)",
    ),
    "client_accounts": (
        lambda: client_accounts([{"inventory_hostname": "acme"}], []),
        "client_accounts: acme: has no client_resolved_key or client_role_specs",
    ),
    "client_coverage": (
        lambda: client_coverage([{"inventory_hostname": "acme"}], []),
        "client_coverage: acme: has no client_resolved_key: run the msp.aws_accounts.client role",
    ),
}


@pytest.mark.parametrize(("call", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_errors_are_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError) as raised:
        call()
    assert message in str(raised.value)


def test_msp_problems():
    settings = {
        "msp_name": "MSP",
        "msp_region": "us-east-1",
        "msp_management_account_id": "123456789012",
        "msp_identity_account_id": "123456789012",
        "msp_mailbox": "aws@msp.example",
        "msp_role_catalogue": CATALOGUE,
        "msp_engineer_groups": [{"name": "oncall", "clients": ["acme", "globex"]}],
    }
    assert msp_problems(settings) == []
    assert msp_problems(settings, ["acme"]) == [
        "msp_engineer_groups[0] (oncall).clients: 'globex' is not a client of the inventory (the clients group: acme)"
    ]


def test_client_problems():
    clients = [
        {"inventory_hostname": "acme", "client_name": "ACME", "msp_mailbox": "aws@msp.example"},
        {"inventory_hostname": "globex", "client_name": "Globex", "client_roles": ["admn"]},
    ]
    assert client_problems(clients, CATALOGUE) == [
        "globex: client_roles: 'admn' is not in msp_role_catalogue (known: admin, oncall)"
    ]


def test_client_accounts():
    client = {
        "inventory_hostname": "acme",
        "client_resolved_key": "acme",
        "client_name": "ACME",
        "client_root_email": "aws+acme@msp.example",
        "client_role_specs": [],
    }
    accounts = [{"id": "111111111111", "email": "aws+acme@msp.example", "state": "ACTIVE"}]
    assert [entry["account_id"] for entry in client_accounts([client], accounts)] == ["111111111111"]


def test_client_coverage():
    clients = [
        {
            "inventory_hostname": "acme",
            "client_resolved_key": "acme",
            "client_root_email": "awsaccounts+acme@msp.example",
        },
        {"inventory_hostname": "hooli", "client_resolved_key": "hooli", "client_root_email": "aws+hooli@msp.example"},
    ]
    accounts = [
        {"id": "123456789012", "email": "awsaccounts@msp.example", "state": "ACTIVE"},
        {"id": "111111111111", "email": "awsaccounts+acme@msp.example", "state": "ACTIVE"},
        {"id": "999999999999", "email": "someone@msp.example", "state": "ACTIVE"},
    ]
    coverage = client_coverage(clients, accounts, ["123456789012"])
    assert [account["id"] for account in coverage["undeclared_accounts"]] == ["999999999999"]
    assert coverage["missing_clients"] == [
        {"host": "hooli", "key": "hooli", "join": "create", "expected": "aws+hooli@msp.example"}
    ]
    assert coverage["matched"] == [{"host": "acme", "key": "acme", "account_id": "111111111111"}]
    assert len(coverage["findings"]) == 2
    assert client_coverage(clients, accounts, ["123456789012"], ["acme"])["missing_clients"] == []
