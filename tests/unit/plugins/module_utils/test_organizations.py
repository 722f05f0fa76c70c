"""Organizations reads: selecting the accounts asked for (aws_member_account_info) from one ListAccounts."""

from datetime import UTC, datetime

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    ORGANIZATIONS_PAGE_SIZE,
    account_summary,
    delegated_administrators,
    list_accounts,
    select_accounts,
)
from ansible_collections.msp.aws_accounts.plugins.modules.aws_member_account_info import validate


def account(account_id, email, name="Client", state="ACTIVE"):
    return {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::123456789012:account/o-example/{account_id}",
        "Email": email,
        "Name": name,
        "State": state,
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": datetime(2026, 1, 31, 9, 15, tzinfo=UTC),
    }


MANAGEMENT = account("123456789012", "awsaccounts@msp.example", "MSP Management")
ACME = account("345678901234", "awsaccounts+acme@msp.example", "ACME Corp")
GLOBEX = account("210987654321", "AWS-Root@Globex.example", "Globex Corporation")
ACCOUNTS = [MANAGEMENT, ACME, GLOBEX]

NO_MISSING = {"emails": [], "account_ids": []}

SELECT_CASES = [
    # case, emails, account_ids, selected ids (sorted), missing
    ("neither-means-every-account", None, None, ["123456789012", "210987654321", "345678901234"], NO_MISSING),
    ("email-exact", ["awsaccounts+acme@msp.example"], None, ["345678901234"], NO_MISSING),
    ("email-other-case", ["aws-root@GLOBEX.EXAMPLE"], None, ["210987654321"], NO_MISSING),
    ("id", None, ["210987654321"], ["210987654321"], NO_MISSING),
    (
        "emails-and-ids-either-matches-sorted-by-id",
        ["awsaccounts+acme@msp.example"],
        ["210987654321"],
        ["210987654321", "345678901234"],
        NO_MISSING,
    ),
    (
        "same-account-by-email-and-id-once",
        ["awsaccounts+acme@msp.example"],
        ["345678901234"],
        ["345678901234"],
        NO_MISSING,
    ),
    (
        "missing-email-and-id-as-given",
        ["Nobody@msp.example", "awsaccounts+acme@msp.example"],
        ["310987654321"],
        ["345678901234"],
        {"emails": ["Nobody@msp.example"], "account_ids": ["310987654321"]},
    ),
    (
        "missing-listed-once",
        ["nobody@msp.example", "nobody@msp.example"],
        ["310987654321", "310987654321"],
        [],
        {"emails": ["nobody@msp.example"], "account_ids": ["310987654321"]},
    ),
    ("empty-lists-ask-for-nothing", [], [], [], NO_MISSING),
    ("empty-emails-with-ids", [], ["123456789012"], ["123456789012"], NO_MISSING),
]


@pytest.mark.parametrize(
    ("emails", "account_ids", "selected", "missing"),
    [case[1:] for case in SELECT_CASES],
    ids=[case[0] for case in SELECT_CASES],
)
def test_select_accounts(emails, account_ids, selected, missing):
    found, not_found = select_accounts(ACCOUNTS, emails, account_ids)
    assert [a["Id"] for a in found] == selected
    assert not_found == missing


def test_selected_accounts_keep_aws_fields_for_the_summary():
    [found], _missing = select_accounts(ACCOUNTS, ["aws-root@globex.example"], None)
    assert account_summary(found) == {
        "id": "210987654321",
        "arn": "arn:aws:organizations::123456789012:account/o-example/210987654321",
        "name": "Globex Corporation",
        "email": "AWS-Root@Globex.example",
        "state": "ACTIVE",
        "joined_method": "CREATED",
        "joined_timestamp": "2026-01-31T09:15:00+00:00",
    }


class FakePaginator:
    def __init__(self, pages):
        self.pages = pages
        self.config = None

    def paginate(self, PaginationConfig=None):
        self.config = PaginationConfig
        return self

    def build_full_result(self):
        return {"Accounts": [a for page in self.pages for a in page]}


class FakeOrganizations:
    def __init__(self, pages):
        self.paginator = FakePaginator(pages)

    def get_paginator(self, name):
        assert name == "list_accounts"
        return self.paginator


def test_list_accounts_asks_for_awss_largest_page():
    client = FakeOrganizations([[MANAGEMENT, ACME], [GLOBEX]])
    assert list_accounts(client) == ACCOUNTS
    assert client.paginator.config == {"PageSize": ORGANIZATIONS_PAGE_SIZE} == {"PageSize": 20}


VALIDATE_CASES = [
    ("no-ids", None, None),
    ("good-ids", ["012345678901", "210987654321"], None),
    ("short-id", ["210987654321", "12345"], "account_ids[1]: must be an AWS account id of exactly 12 digits"),
    ("letters", ["21098765432a"], "account_ids[0]: must be an AWS account id"),
]


@pytest.mark.parametrize(
    ("account_ids", "error"), [case[1:] for case in VALIDATE_CASES], ids=[case[0] for case in VALIDATE_CASES]
)
def test_info_module_validates_ids_before_any_call(account_ids, error):
    params = {"emails": None, "account_ids": account_ids}
    if error is None:
        validate(params)
        return
    with pytest.raises(InvalidInput) as raised:
        validate(params)
    assert str(raised.value.message).startswith(error)


# --- delegated administrators (moto's Organizations in this process) ----------------------------------------


@pytest.fixture
def organization():
    """moto's organization with two members; the management account's Organizations client."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        members = [
            client.create_account(AccountName=name, Email=f"{name}@client.example")["CreateAccountStatus"]["AccountId"]
            for name in ("acme", "globex")
        ]
        yield client, members


def test_no_delegated_administrators(organization):
    client, _members = organization
    assert delegated_administrators(client) == []


def test_delegated_administrators_with_their_services(organization):
    client, (acme, globex) = organization
    for account_id, service in [
        (globex, "guardduty.amazonaws.com"),
        (acme, "ssm.amazonaws.com"),
        (acme, "config-multiaccountsetup.amazonaws.com"),
    ]:
        client.register_delegated_administrator(AccountId=account_id, ServicePrincipal=service)
    found = delegated_administrators(client)
    assert [(a["id"], a["name"], a["email"], a["services"]) for a in found] == sorted(
        [
            (acme, "acme", "acme@client.example", ["config-multiaccountsetup.amazonaws.com", "ssm.amazonaws.com"]),
            (globex, "globex", "globex@client.example", ["guardduty.amazonaws.com"]),
        ]
    )
    assert all(isinstance(a["delegation_enabled_date"], str) for a in found)


class FakeDelegationPages:
    """ListDelegatedAdministrators / ListDelegatedServicesForAccount in pages; records what was asked."""

    def __init__(self, administrators, services):
        self.administrators, self.services, self.asked = administrators, services, []

    def get_paginator(self, name):
        outer = self

        class Paginator:
            def paginate(self, PaginationConfig=None, **params):
                outer.asked.append((name, params, PaginationConfig))
                self.params = params
                return self

            def build_full_result(self):
                if name == "list_delegated_administrators":
                    return {"DelegatedAdministrators": [a for page in outer.administrators for a in page]}
                pages = outer.services[self.params["AccountId"]]
                return {"DelegatedServices": [{"ServicePrincipal": s} for page in pages for s in page]}

        return Paginator()


def test_delegated_administrators_read_every_page_at_awss_largest_page_size():
    client = FakeDelegationPages(
        [[{"Id": "345678901234", "Name": "ACME Corp"}], [{"Id": "210987654321"}]],
        {"345678901234": [["ssm.amazonaws.com"]], "210987654321": [["s3.amazonaws.com"], ["guardduty.amazonaws.com"]]},
    )
    found = delegated_administrators(client)
    assert [(a["id"], a["services"]) for a in found] == [
        ("210987654321", ["guardduty.amazonaws.com", "s3.amazonaws.com"]),
        ("345678901234", ["ssm.amazonaws.com"]),
    ]
    assert all(config == {"PageSize": ORGANIZATIONS_PAGE_SIZE} for _name, _params, config in client.asked)
    assert [name for name, _params, _config in client.asked] == [
        "list_delegated_administrators",
        "list_delegated_services_for_account",
        "list_delegated_services_for_account",
    ]
