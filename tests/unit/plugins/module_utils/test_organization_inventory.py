"""The aws_organizations inventory's pure logic: options, the walk, filters, host names and groups."""

from datetime import UTC, datetime

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError
from ansible_collections.msp.aws_accounts.plugins.module_utils.organization_inventory import (
    account_host_vars,
    build_inventory,
    explain_assume_role_error,
    explain_error,
    host_name_problem,
    host_names,
    inventory_settings,
    keep_before_tags,
    listing_fingerprint,
    matches_tags,
    organization_management_account_id,
    ou_group_name,
    walk_organization,
)

MANAGEMENT_ID = "123456789012"
ROOT = {"Id": "r-root", "Arn": f"arn:aws:organizations::{MANAGEMENT_ID}:root/o-example/r-root", "Name": "Root"}


def host(account_id, name="Client", ou_path="/", state="ACTIVE", joined="CREATED", tags=None, email=None, **more):
    host_vars = {
        "aws_account_id": account_id,
        "aws_account_arn": f"arn:aws:organizations::{MANAGEMENT_ID}:account/o-example/{account_id}",
        "aws_account_name": name,
        "aws_account_email": email or f"{account_id}@msp.example",
        "aws_account_state": state,
        "aws_account_joined_method": joined,
        "aws_account_joined_timestamp": "2026-01-31T09:15:00+00:00",
        "aws_account_parent_id": "r-root" if ou_path == "/" else f"ou-{ou_path}",
        "aws_account_ou_path": ou_path,
        "aws_account_tags": tags or {},
        "aws_account_is_management": account_id == MANAGEMENT_ID,
    }
    host_vars.update(more)
    return host_vars


def settings(**options):
    return inventory_settings(**options)


# --- options ------------------------------------------------------------------------------------------------


def test_defaults():
    assert settings() == {
        "hostnames": ["account_id"],
        "ou_group_prefix": "ou_",
        "include_ous": [],
        "exclude_ous": [],
        "states": [],
        "include_tags": {},
        "exclude_tags": {},
        "include_management_account": False,
        "read_tags": True,
    }


NORMALISE_CASES = [
    # case, options, key, normalised
    ("paths-as-tuples", {"include_ous": ["Clients/Production", "/Internal/"]}, "include_ous",
     [("Clients", "Production"), ("Internal",)]),
    ("subtree-of-another-include-dropped", {"include_ous": ["/Clients/Production", "/Clients", "/Clients"]},
     "include_ous", [("Clients",)]),
    ("root-include-means-everything", {"include_ous": ["/", "/Clients"]}, "include_ous", []),
    ("excludes-outermost", {"exclude_ous": ["/A/B", "/A"]}, "exclude_ous", [("A",)]),
    ("states-sorted-unique", {"states": ["SUSPENDED", "ACTIVE", "ACTIVE"]}, "states", ["ACTIVE", "SUSPENDED"]),
    ("tag-values-as-sorted-lists", {"include_tags": {"client": ["globex", "acme"], "tier": 1}}, "include_tags",
     {"client": ["acme", "globex"], "tier": ["1"]}),
    ("exclude-above-an-include", {"include_ous": ["/A/B"], "exclude_ous": ["/A"]}, "exclude_ous", [("A",)]),
    ("exclude-inside-an-include", {"include_ous": ["/A"], "exclude_ous": ["/A/B"]}, "exclude_ous", [("A", "B")]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "options", "key", "expected"), NORMALISE_CASES, ids=[c[0] for c in NORMALISE_CASES])
def test_options_are_normalised(case, options, key, expected):
    assert settings(**options)[key] == expected


BAD_OPTION_CASES = [
    # case, options, option named, words in the rule
    ("hostnames-unknown-field", {"hostnames": ["id"]}, "hostnames", "not one of account_id"),
    ("hostnames-empty", {"hostnames": []}, "hostnames", "non-empty list"),
    ("hostnames-tag-without-key", {"hostnames": ["tag:"]}, "hostnames", "names no tag key"),
    ("hostnames-tag-without-read-tags", {"hostnames": ["tag:client", "account_id"], "read_tags": False},
     "hostnames", "read_tags is false"),
    ("include-tags-without-read-tags", {"include_tags": {"client": "acme"}, "read_tags": False}, "include_tags",
     "read_tags is false"),
    ("exclude-tags-without-read-tags", {"exclude_tags": {"client": "acme"}, "read_tags": False}, "exclude_tags",
     "read_tags is false"),
    ("tag-filter-not-a-dict", {"include_tags": ["client"]}, "include_tags", "dictionary"),
    ("tag-filter-value-a-dict", {"exclude_tags": {"client": {"a": 1}}}, "exclude_tags", "client"),
    ("tag-filter-empty-list", {"include_tags": {"client": []}}, "include_tags", "client"),
    ("unknown-state", {"states": ["GONE"]}, "states", "not an account state"),
    # Ansible's choices refuse lowercase before the plugin runs; the plugin agrees rather than upper-casing.
    ("lowercase-state", {"states": ["active"]}, "states", "'active' is not an account state"),
    ("prefix-with-dash", {"ou_group_prefix": "ou-"}, "ou_group_prefix", "letters, digits and _"),
    ("prefix-empty", {"ou_group_prefix": ""}, "ou_group_prefix", "may not be empty: the OU /Clients would make"),
    ("exclude-outside-the-includes", {"include_ous": ["/Clients", "/Internal/Logs"], "exclude_ous": ["/Internal/X"]},
     "exclude_ous", "/Internal/X is outside include_ous (/Clients, /Internal/Logs), so it leaves nothing out"),
    ("include-empty-level", {"include_ous": ["/Clients//Production"]}, "include_ous", "empty level"),
    ("exclude-root", {"exclude_ous": ["/"]}, "exclude_ous", "whole organization"),
    ("include-not-a-list", {"include_ous": "/Clients"}, "include_ous", "list of OU paths"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "options", "option", "words"), BAD_OPTION_CASES, ids=[c[0] for c in BAD_OPTION_CASES])
def test_bad_options_name_the_option(case, options, option, words):
    with pytest.raises(InvalidInput) as raised:
        settings(**options)
    assert raised.value.option == option
    assert words in raised.value.rule


def test_read_tags_false_allows_everything_but_tags():
    assert settings(hostnames=["name", "account_id"], read_tags=False)["read_tags"] is False


def test_fingerprint_holds_only_what_changes_the_reads_and_is_json_safe():
    base = settings(include_ous=["/Clients"], states=["ACTIVE"])
    fingerprint = listing_fingerprint(base)
    assert fingerprint == {
        "include_ous": ["/Clients"],
        "exclude_ous": [],
        "states": ["ACTIVE"],
        "include_management_account": False,
        "read_tags": True,
        "source": fingerprint["source"],
    }
    assert len(fingerprint["source"]) == 64
    renamed = settings(include_ous=["/Clients"], states=["ACTIVE"], hostnames=["name"], include_tags={"a": "b"})
    assert listing_fingerprint(renamed) == listing_fingerprint(base)


SOURCE = {
    "endpoint_url": "http://127.0.0.1:5070",
    "region": "us-east-1",
    "profile": "msp-engineer",
    "assume_role_arn": f"arn:aws:iam::{MANAGEMENT_ID}:role/OrganizationInventoryReader",
    "access_key": "AKIAEXAMPLEKEYID0001",
}


@pytest.mark.parametrize("option", sorted(SOURCE))
def test_fingerprint_changes_with_where_and_as_whom_the_listing_is_read(option):
    base = settings()
    assert listing_fingerprint(base, {**SOURCE, option: "something else"}) != listing_fingerprint(base, SOURCE)
    assert listing_fingerprint(base, {**SOURCE, option: None}) != listing_fingerprint(base, SOURCE)


def test_fingerprint_ignores_the_secret_and_spells_out_no_credential():
    base = settings()
    with_secret = {**SOURCE, "secret_key": "s3cr3t", "session_token": "token"}
    assert listing_fingerprint(base, with_secret) == listing_fingerprint(base, SOURCE)
    assert listing_fingerprint(base, {}) == listing_fingerprint(base, dict.fromkeys(SOURCE, ""))
    text = repr(listing_fingerprint(base, SOURCE))
    assert SOURCE["access_key"] not in text and "OrganizationInventoryReader" not in text


# --- the walk -------------------------------------------------------------------------------------------------


def ou(ou_id, name):
    return {"Id": ou_id, "Arn": f"arn:ou/{ou_id}", "Name": name}


def account(account_id, name="Client", state="ACTIVE"):
    return {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::{MANAGEMENT_ID}:account/o-example/{account_id}",
        "Name": name,
        "Email": f"{account_id}@msp.example",
        "State": state,
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": datetime(2026, 1, 31, 9, 15, tzinfo=UTC),
    }


class FakeTree:
    """/Clients/Production/Sandbox, /Clients/Staging, /Internal; one account per level; every listing logged."""

    OUS = {
        "r-root": [ou("ou-clients", "Clients"), ou("ou-internal", "Internal")],
        "ou-clients": [ou("ou-prod", "Production"), ou("ou-staging", "Staging")],
        "ou-prod": [ou("ou-sandbox", "Sandbox")],
    }
    ACCOUNTS = {
        "r-root": [account(MANAGEMENT_ID, "Management")],
        "ou-clients": [account("100000000001", "Shared")],
        "ou-prod": [account("100000000002", "ACME"), account("100000000003", "Globex")],
        "ou-sandbox": [account("100000000004", "ACME Sandbox")],
        "ou-staging": [account("100000000005", "Initech")],
        "ou-internal": [account("100000000006", "Logs")],
    }

    def __init__(self):
        self.calls = []

    def ous_of(self, parent_id):
        self.calls.append(("ous", parent_id))
        return self.OUS.get(parent_id, [])

    def accounts_of(self, parent_id):
        self.calls.append(("accounts", parent_id))
        return self.ACCOUNTS.get(parent_id, [])

    def walk(self, include=(), exclude=()):
        options = settings(include_ous=list(include), exclude_ous=list(exclude))
        return walk_organization(ROOT, self.ous_of, self.accounts_of, options["include_ous"], options["exclude_ous"])


ALL_PATHS = ["/Clients", "/Clients/Production", "/Clients/Production/Sandbox", "/Clients/Staging", "/Internal"]
WALK_CASES = [
    # case, include_ous, exclude_ous, OU paths, (account id, parent id, path) ids, parents listed (ous, accounts)
    ("everything", [], [], ALL_PATHS,
     [MANAGEMENT_ID, "100000000001", "100000000002", "100000000003", "100000000004", "100000000005", "100000000006"],
     {"r-root", "ou-clients", "ou-prod", "ou-sandbox", "ou-staging", "ou-internal"},
     {"r-root", "ou-clients", "ou-prod", "ou-sandbox", "ou-staging", "ou-internal"}),
    ("include-a-subtree-lists-its-ancestors-ous-only", ["/Clients/Production"], [],
     ["/Clients", "/Clients/Production", "/Clients/Production/Sandbox"],
     ["100000000002", "100000000003", "100000000004"],
     {"r-root", "ou-clients", "ou-prod", "ou-sandbox"}, {"ou-prod", "ou-sandbox"}),
    ("include-two-subtrees", ["/Internal", "/Clients/Staging"], [], ["/Clients", "/Clients/Staging", "/Internal"],
     ["100000000005", "100000000006"], {"r-root", "ou-clients", "ou-staging", "ou-internal"},
     {"ou-staging", "ou-internal"}),
    ("exclude-a-subtree-is-not-listed", [], ["/Clients/Production"], ["/Clients", "/Clients/Staging", "/Internal"],
     [MANAGEMENT_ID, "100000000001", "100000000005", "100000000006"],
     {"r-root", "ou-clients", "ou-staging", "ou-internal"}, {"r-root", "ou-clients", "ou-staging", "ou-internal"}),
    ("exclude-inside-include", ["/Clients"], ["/Clients/Production/Sandbox"],
     ["/Clients", "/Clients/Production", "/Clients/Staging"], ["100000000001", "100000000002", "100000000003",
     "100000000005"], {"r-root", "ou-clients", "ou-prod", "ou-staging"}, {"ou-clients", "ou-prod", "ou-staging"}),
    # an include inside an exclude is dropped: only the excluded OU's parent is listed, to check it exists
    ("exclude-wins-over-include", ["/Clients/Production"], ["/Clients"], [], [], {"r-root"}, set()),
    ("exclude-above-one-include-of-two", ["/Clients/Production/Sandbox", "/Internal"], ["/Clients/Production"],
     ["/Internal"], ["100000000006"], {"r-root", "ou-clients", "ou-internal"}, {"ou-internal"}),
    ("exclude-equals-include", ["/Clients/Staging", "/Internal"], ["/Clients/Staging"], ["/Internal"],
     ["100000000006"], {"r-root", "ou-clients", "ou-internal"}, {"ou-internal"}),
    ("include-root-is-everything", ["/"], [], ALL_PATHS,
     [MANAGEMENT_ID, "100000000001", "100000000002", "100000000003", "100000000004", "100000000005", "100000000006"],
     {"r-root", "ou-clients", "ou-prod", "ou-sandbox", "ou-staging", "ou-internal"},
     {"r-root", "ou-clients", "ou-prod", "ou-sandbox", "ou-staging", "ou-internal"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "include", "exclude", "paths", "account_ids", "ous_listed", "accounts_listed"),
    WALK_CASES,
    ids=[c[0] for c in WALK_CASES],
)
def test_walk(case, include, exclude, paths, account_ids, ous_listed, accounts_listed):
    tree = FakeTree()
    ou_paths, accounts = tree.walk(include, exclude)
    assert ou_paths == paths
    assert [entry[0]["Id"] for entry in accounts] == sorted(account_ids), "sorted by account id"
    assert {parent for kind, parent in tree.calls if kind == "ous"} == ous_listed
    assert {parent for kind, parent in tree.calls if kind == "accounts"} == accounts_listed
    assert len(tree.calls) == len(set(tree.calls)), "a parent was listed twice"


def test_walk_gives_each_account_its_parent_and_path():
    _paths, accounts = FakeTree().walk()
    where = {entry[0]["Id"]: (entry[1], entry[2]) for entry in accounts}
    assert where[MANAGEMENT_ID] == ("r-root", ())
    assert where["100000000004"] == ("ou-sandbox", ("Clients", "Production", "Sandbox"))


def test_walk_include_of_a_missing_ou_names_the_option_and_level():
    with pytest.raises(InvalidInput) as raised:
        FakeTree().walk(include=["/Clients/Prod"])
    assert raised.value.option == "include_ous"
    assert "/Clients/Prod does not exist (Prod)" in raised.value.rule


EXCLUDE_MISSING_CASES = [
    # case, include_ous, exclude_ous, words
    ("typo-in-the-last-level", [], ["/Clients/Prod"], "/Clients/Prod does not exist (Prod)"),
    ("typo-in-a-higher-level", [], ["/Client/Production"], "/Client/Production does not exist (Client/Production)"),
    ("inside-an-include", ["/Clients"], ["/Clients/Production/Sandbx"], "/Clients/Production/Sandbx does not exist"),
    ("above-an-include", ["/Clients/Prod/Sandbox"], ["/Clients/Prod"], "/Clients/Prod does not exist (Prod)"),
]


@pytest.mark.parametrize(("case", "include", "exclude", "words"), EXCLUDE_MISSING_CASES,
                         ids=[c[0] for c in EXCLUDE_MISSING_CASES])  # fmt: skip
def test_walk_exclude_of_a_missing_ou_names_the_option(case, include, exclude, words):
    tree = FakeTree()
    with pytest.raises(InvalidInput) as raised:
        tree.walk(include=include, exclude=exclude)
    assert raised.value.option == "exclude_ous"
    assert words in raised.value.rule
    assert len(tree.calls) == len(set(tree.calls)), "a parent was listed twice"


def test_checking_the_excludes_lists_nothing_more_than_the_walk():
    walked, checked = FakeTree(), FakeTree()
    walked.walk(include=["/Clients"])
    checked.walk(include=["/Clients"], exclude=["/Clients/Production/Sandbox"])
    assert set(checked.calls) == set(walked.calls) - {("ous", "ou-sandbox"), ("accounts", "ou-sandbox")}


def test_management_account_from_the_root_arn_else_from_an_account_arn():
    assert organization_management_account_id(ROOT) == MANAGEMENT_ID
    assert organization_management_account_id({"Id": "r-x", "Arn": None}, [account("100000000001")]) == MANAGEMENT_ID
    assert organization_management_account_id({"Id": "r-x"}) is None


def test_host_vars_of_an_account():
    legacy = account("100000000002", "ACME")
    del legacy["State"]
    legacy["Status"] = "SUSPENDED"
    assert account_host_vars(legacy, "ou-prod", ("Clients", "Production"), MANAGEMENT_ID) == {
        "aws_account_id": "100000000002",
        "aws_account_arn": f"arn:aws:organizations::{MANAGEMENT_ID}:account/o-example/100000000002",
        "aws_account_name": "ACME",
        "aws_account_email": "100000000002@msp.example",
        "aws_account_state": "SUSPENDED",
        "aws_account_joined_method": "CREATED",
        "aws_account_joined_timestamp": "2026-01-31T09:15:00+00:00",
        "aws_account_parent_id": "ou-prod",
        "aws_account_ou_path": "/Clients/Production",
        "aws_account_tags": {},
        "aws_account_is_management": False,
    }
    management = account_host_vars(account(MANAGEMENT_ID), "r-root", (), MANAGEMENT_ID)
    assert management["aws_account_ou_path"] == "/" and management["aws_account_is_management"] is True


# --- filters ------------------------------------------------------------------------------------------------

KEEP_CASES = [
    # case, options, host vars, kept
    ("member-kept", {}, host("100000000001"), True),
    ("management-left-out-by-default", {}, host(MANAGEMENT_ID), False),
    ("management-included", {"include_management_account": True}, host(MANAGEMENT_ID), True),
    ("state-listed", {"states": ["ACTIVE", "SUSPENDED"]}, host("100000000001", state="SUSPENDED"), True),
    ("state-not-listed", {"states": ["ACTIVE"]}, host("100000000001", state="PENDING_CLOSURE"), False),
    ("no-states-keeps-every-state", {}, host("100000000001", state="CLOSED"), True),
]


@pytest.mark.parametrize(("case", "options", "host_vars", "kept"), KEEP_CASES, ids=[c[0] for c in KEEP_CASES])
def test_filters_before_tags(case, options, host_vars, kept):
    assert keep_before_tags(host_vars, settings(**options)) is kept


TAG_CASES = [
    # case, include_tags, exclude_tags, tags, matches
    ("no-filters", {}, {}, {}, True),
    ("include-one-key-one-value", {"client": "acme"}, {}, {"client": "acme"}, True),
    ("include-any-listed-value", {"client": ["acme", "globex"]}, {}, {"client": "globex"}, True),
    ("include-value-differs", {"client": "acme"}, {}, {"client": "ACME"}, False),
    ("include-key-missing", {"client": "acme"}, {}, {}, False),
    ("include-every-key", {"client": "acme", "tier": "gold"}, {}, {"client": "acme", "tier": "silver"}, False),
    ("include-number-as-string", {"cost-centre": 4711}, {}, {"cost-centre": "4711"}, True),
    ("exclude-any-key", {}, {"lifecycle": "handover", "x": "y"}, {"lifecycle": "handover"}, False),
    ("exclude-other-value", {}, {"lifecycle": "handover"}, {"lifecycle": "active"}, True),
    ("exclude-wins", {"client": "acme"}, {"lifecycle": ["handover", "closing"]},
     {"client": "acme", "lifecycle": "closing"}, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "include", "exclude", "tags", "matches"), TAG_CASES, ids=[c[0] for c in TAG_CASES])
def test_tag_filters(case, include, exclude, tags, matches):
    options = settings(include_tags=include, exclude_tags=exclude)
    assert matches_tags(tags, options["include_tags"], options["exclude_tags"]) is matches


# --- host names -------------------------------------------------------------------------------------------------

ACME = host("100000000002", "ACME-Corp", "/Clients/Production", tags={"client": "acme"}, email="aws+acme@msp.example")
GLOBEX = host("100000000003", "Globex", "/Clients/Production", tags={"client": "globex"})
LOOSE = host("100000000009", "Orphan", tags={"client": ""})
NAME_CASES = [
    # case, hostnames, accounts, names by id, warnings (words)
    ("account-id-by-default", None, [ACME, LOOSE], {ACME["aws_account_id"]: "100000000002",
     LOOSE["aws_account_id"]: "100000000009"}, []),
    ("name", ["name"], [ACME], {"100000000002": "ACME-Corp"}, []),
    ("email", ["email"], [ACME], {"100000000002": "aws+acme@msp.example"}, []),
    ("tag-then-id-empty-tag-falls-through", ["tag:client", "account_id"], [ACME, GLOBEX, LOOSE],
     {"100000000002": "acme", "100000000003": "globex", "100000000009": "100000000009"}, []),
    ("missing-tag-then-name", ["tag:owner", "name"], [ACME], {"100000000002": "ACME-Corp"}, []),
    ("nothing-matches-falls-back-to-id", ["tag:owner"], [ACME], {"100000000002": "100000000002"}, []),
    ("duplicate-lower-id-keeps-it", ["name"], [host("100000000009", "Orphan"), host("100000000008", "Orphan")],
     {"100000000008": "Orphan", "100000000009": "100000000009"},
     ["100000000008, 100000000009 are all named 'Orphan'", "100000000008 keeps the name",
      "100000000009 is named by account id"]),
    ("duplicate-three", ["tag:client"], [host(f"10000000000{n}", tags={"client": "acme"}) for n in (3, 1, 2)],
     {"100000000001": "acme", "100000000002": "100000000002", "100000000003": "100000000003"},
     ["100000000002, 100000000003 are named by account id"]),
    ("active-keeps-the-name-before-a-lower-suspended-id", ["tag:client"],
     [host("100000000001", state="SUSPENDED", tags={"client": "acme"}), host("100000000002", tags={"client": "acme"})],
     {"100000000002": "acme", "100000000001": "100000000001"},
     ["100000000002 keeps the name (ACTIVE first", "100000000001 is named by account id"]),
    ("no-active-lower-id-keeps-it", ["tag:client"],
     [host("100000000002", state="CLOSED", tags={"client": "acme"}),
      host("100000000001", state="SUSPENDED", tags={"client": "acme"})],
     {"100000000001": "acme", "100000000002": "100000000002"}, ["100000000001 keeps the name"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "hostnames", "accounts", "names", "warnings"), NAME_CASES, ids=[c[0] for c in NAME_CASES]
)
def test_host_names(case, hostnames, accounts, names, warnings):
    got, got_warnings = host_names(accounts, settings(hostnames=hostnames)["hostnames"])
    assert got == names
    assert len(got_warnings) == (1 if warnings else 0)
    for words in warnings:
        assert words in got_warnings[0]


REFUSED_NAME_CASES = [
    # value, words of the reason
    ("localhost", "Ansible reserves that name"),
    ("LocalHost", "Ansible reserves that name"),
    ("127.0.0.1", "Ansible reserves that name"),
    ("::1", "Ansible reserves that name"),
    ("all", "Ansible reserves that name"),
    ("ungrouped", "Ansible reserves that name"),
    ("aws_organization", "a group of this inventory"),
    ("ou_clients", "a group of this inventory"),
    ("state_active", "a group of this inventory"),
    ("ACME Corp", "whitespace"),
    ("acme\tcorp", "whitespace"),
    ("acme\n", "whitespace"),
    ("web,db", "host patterns read , as syntax"),
    ("db:5432", "host patterns read : as syntax"),
    ("web[1:3]", "host patterns read : [ ] as syntax"),
    ("!prod", "host patterns read ! as syntax"),
    ("&prod", "host patterns read & as syntax"),
    ("acme*", "host patterns read * as syntax"),
    ("acme?", "host patterns read ? as syntax"),
    ("~acme", "host patterns read ~ as syntax"),
    ("@hosts.txt", "--limit reads a leading @ as a file name"),
]
USABLE_NAMES = ["acme", "acme-sandbox", "aws+acme@msp.example", "ACME_Corp.eu", "100000000002", "localhost2", "älpler"]


@pytest.mark.parametrize(("value", "words"), REFUSED_NAME_CASES)
def test_values_that_cannot_be_host_names(value, words):
    problem = host_name_problem(value, {"aws_organization", "ou_clients", "state_active"})
    assert problem is not None and words in problem


@pytest.mark.parametrize("value", USABLE_NAMES)
def test_values_that_can_be_host_names(value):
    assert host_name_problem(value, {"aws_organization", "ou_clients"}) is None


def test_a_refused_value_falls_through_to_the_next_entry_with_a_warning():
    accounts = [
        host("100000000001", "localhost", tags={"client": "web,db"}),
        host("100000000002", "ACME Corp", tags={"client": "localhost"}),
        host("100000000003", "Globex", tags={"client": "globex"}),
    ]
    names, warnings = host_names(accounts, ["tag:client", "name"], {"aws_organization"})
    assert names == {"100000000001": "100000000001", "100000000002": "100000000002", "100000000003": "globex"}
    assert warnings == [
        "aws_organizations: account 100000000001: tag:client gives 'web,db', which cannot name a host (host "
        "patterns read , as syntax); the next hostnames entry or the account id names it",
        "aws_organizations: account 100000000001: name gives 'localhost', which cannot name a host (Ansible "
        "reserves that name); the next hostnames entry or the account id names it",
        "aws_organizations: account 100000000002: tag:client gives 'localhost', which cannot name a host (Ansible "
        "reserves that name); the next hostnames entry or the account id names it",
        "aws_organizations: account 100000000002: name gives 'ACME Corp', which cannot name a host (it contains "
        "whitespace); the next hostnames entry or the account id names it",
    ]


def test_a_host_is_never_named_like_one_of_the_plugins_groups():
    accounts = [host("100000000001", "Shared", "/Clients", tags={"client": "ou_clients"})]
    built = build_inventory(listing(accounts, ["/Clients"]), settings(hostnames=["tag:client", "name"]))
    assert list(built["hosts"]) == ["Shared"]
    assert "tag:client gives 'ou_clients'" in built["warnings"][0]


def test_a_tag_holding_another_accounts_id_is_an_error_naming_both():
    accounts = [host("100000000001", tags={"client": "100000000002"}), host("100000000002")]
    with pytest.raises(MspAwsError, match="100000000001 and 100000000002 both end up named '100000000002'"):
        host_names(accounts, ["tag:client", "account_id"])


# --- groups -----------------------------------------------------------------------------------------------------

GROUP_NAME_CASES = [
    ("/", "ou_", None),
    ("/Clients", "ou_", "ou_clients"),
    ("/Clients/Production", "ou_", "ou_clients_production"),
    ("/Clients/ACME Corp-EU", "ou_", "ou_clients_acme_corp_eu"),
    ("/Kunden/Zürich", "org_", "org_kunden_z_rich"),
    ("/Clients", "", "clients"),
]


@pytest.mark.parametrize(("path", "prefix", "group"), GROUP_NAME_CASES)
def test_ou_group_name(path, prefix, group):
    assert ou_group_name(path, prefix) == group


def listing(accounts, ou_paths=("/Clients", "/Clients/Production")):
    return {"ou_paths": list(ou_paths), "accounts": accounts}


def test_groups_nest_like_the_ous_and_root_accounts_are_only_in_the_organization_group():
    built = build_inventory(
        listing([ACME, GLOBEX, host("100000000007", "Shared", "/Clients"), host("100000000009", "Orphan")]),
        settings(hostnames=["tag:client", "account_id"]),
    )
    assert built["warnings"] == []
    assert sorted(built["hosts"]) == ["100000000007", "100000000009", "acme", "globex"]
    assert built["hosts"]["acme"] is ACME
    assert built["groups"] == {
        "aws_organization": {
            "hosts": ["100000000007", "100000000009", "acme", "globex"],
            "children": ["ou_clients"],
        },
        "ou_clients": {"hosts": ["100000000007"], "children": ["ou_clients_production"]},
        "ou_clients_production": {"hosts": ["acme", "globex"], "children": []},
        "state_active": {"hosts": ["100000000007", "100000000009", "acme", "globex"], "children": []},
        "joined_created": {"hosts": ["100000000007", "100000000009", "acme", "globex"], "children": []},
    }


def test_an_ou_walked_without_accounts_still_has_its_group_and_a_prefix_applies():
    built = build_inventory(
        listing([], ["/Clients", "/Clients/Production", "/Internal"]), settings(ou_group_prefix="org_")
    )
    assert built["hosts"] == {}
    assert built["groups"]["aws_organization"]["children"] == ["org_clients", "org_internal"]
    assert built["groups"]["org_clients"] == {"hosts": [], "children": ["org_clients_production"]}


def test_state_joined_and_management_groups():
    accounts = [
        host(MANAGEMENT_ID, "Management"),
        host("100000000001", state="SUSPENDED", joined="INVITED"),
        host("100000000002", state="PENDING_CLOSURE"),
        host("100000000003", state=None, joined=None),
    ]
    groups = build_inventory(listing(accounts, []), settings(include_management_account=True))["groups"]
    assert groups["management_account"]["hosts"] == [MANAGEMENT_ID]
    assert groups["state_active"]["hosts"] == [MANAGEMENT_ID]
    assert groups["state_suspended"]["hosts"] == ["100000000001"]
    assert groups["state_pending_closure"]["hosts"] == ["100000000002"]
    assert groups["joined_invited"]["hosts"] == ["100000000001"]
    assert groups["joined_created"]["hosts"] == ["100000000002", MANAGEMENT_ID]
    assert groups["aws_organization"]["hosts"] == ["100000000001", "100000000002", "100000000003", MANAGEMENT_ID]


def test_no_management_group_without_the_management_account():
    groups = build_inventory(listing([ACME], []), settings())["groups"]
    assert "management_account" not in groups


def test_tag_filters_apply_when_building_so_they_apply_to_a_cached_listing():
    built = build_inventory(listing([ACME, GLOBEX]), settings(include_tags={"client": "globex"}))
    assert list(built["hosts"]) == ["100000000003"]
    assert built["groups"]["ou_clients_production"]["hosts"] == ["100000000003"]


def test_duplicate_names_warn_through_build():
    built = build_inventory(listing([host("100000000009", "Orphan"), host("100000000008", "Orphan")], []),
                            settings(hostnames=["name"]))  # fmt: skip
    assert sorted(built["hosts"]) == ["100000000009", "Orphan"]
    assert len(built["warnings"]) == 1


COLLISION_CASES = [
    # case, OU paths, prefix, words
    ("two-paths-one-group", ["/Clients", "/Clients/Acme Corp", "/Clients/Acme-Corp"], "ou_",
     "/Clients/Acme Corp and /Clients/Acme-Corp both make the group ou_clients_acme_corp"),
    ("case-only", ["/Clients", "/clients"], "ou_", "/Clients and /clients both make the group ou_clients"),
    ("nested-vs-flat", ["/A", "/A/B", "/A_B"], "ou_", "/A/B and /A_B both make the group ou_a_b"),
    ("reserved-state-group", ["/Active"], "state_", "makes the group state_active"),
    ("reserved-joined-group", ["/Invited"], "joined_", "makes the group joined_invited"),
    ("reserved-organization-group", ["/Organization"], "aws_", "aws_organization"),
    ("reserved-management-group", ["/Account"], "management_", "management_account"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "paths", "prefix", "words"), COLLISION_CASES, ids=[c[0] for c in COLLISION_CASES])
def test_group_collisions_are_errors_naming_both(case, paths, prefix, words):
    with pytest.raises(MspAwsError) as raised:
        build_inventory(listing([], paths), settings(ou_group_prefix=prefix))
    assert words in raised.value.message


# --- errors -----------------------------------------------------------------------------------------------------


def aws_error(code):
    exception = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "AWS says no"}}, "ListRoots")
    return MspAwsError(message="Failed to list the organization's roots", exception=exception)


ERROR_CASES = [
    ("AWSOrganizationsNotInUseException", "is in no AWS Organization: use the management account's credentials"),
    ("AccessDeniedException", "may not read the organization: use the management account or a delegated"),
    ("AccessDenied", "organizations:ListAccountsForParent"),
    ("ThrottlingException", "Failed to list the organization's roots: An error occurred (ThrottlingException)"),
]


@pytest.mark.parametrize(("code", "words"), ERROR_CASES)
def test_errors_say_what_to_fix_and_keep_aws_words(code, words):
    message = explain_error(aws_error(code))
    assert message.startswith("aws_organizations: Failed to list the organization's roots")
    assert words in message
    assert "AWS says no" in message


def test_a_failed_assume_role_names_the_option_and_keeps_aws_words():
    exception = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "AssumeRole"
    )
    message = explain_assume_role_error("arn:aws:iam::123456789012:role/Reader", exception)
    assert message.startswith("aws_organizations: could not assume the role arn:aws:iam::123456789012:role/Reader of ")
    assert "assume_role_arn" in message and "not allowed" in message and "sts:AssumeRole" in message


def test_an_error_without_aws_exception():
    assert explain_error(MspAwsError(message="boom")) == "aws_organizations: boom"
