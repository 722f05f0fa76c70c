"""The trust-policy builder, comparison by meaning, and reading who a trust policy lets in."""

import json
from urllib.parse import quote

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    build_trust_policy,
    grant_is_unguarded,
    managed_policy_arn,
    parse_policy,
    policies_differ,
    requires_external_id,
    statement_guards,
    trust_grants,
    trust_input_problems,
)

MSP = "123456789012"
CLIENT = "210987654321"


def trust(principal, condition=None, action="sts:AssumeRole", effect="Allow", version="2012-10-17"):
    statement = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    document = {"Statement": [statement]}
    if version:
        document["Version"] = version
    return document


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}

BUILD_CASES = [
    (
        "one-account-with-mfa",
        {"partition": "aws", "trusted_account_ids": [MSP]},
        {"AWS": f"arn:aws:iam::{MSP}:root"},
        MFA,
    ),
    (
        "two-accounts-sorted-and-deduplicated",
        {"partition": "aws", "trusted_account_ids": ["999999999999", MSP, MSP]},
        {"AWS": [f"arn:aws:iam::{MSP}:root", "arn:aws:iam::999999999999:root"]},
        MFA,
    ),
    (
        "china-partition",
        {"partition": "aws-cn", "trusted_account_ids": [MSP]},
        {"AWS": f"arn:aws-cn:iam::{MSP}:root"},
        MFA,
    ),
    (
        "pinned-principals",
        {"partition": "aws", "trusted_principals": [f"arn:aws:iam::{MSP}:user/alice"]},
        {"AWS": f"arn:aws:iam::{MSP}:user/alice"},
        MFA,
    ),
    (
        "mfa-max-age",
        {"partition": "aws", "trusted_account_ids": [MSP], "mfa_max_age": 3600},
        {"AWS": f"arn:aws:iam::{MSP}:root"},
        {**MFA, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    ),
    (
        "external-id-without-mfa",
        {"partition": "aws", "trusted_account_ids": [MSP], "require_mfa": False, "external_id": "globex-1"},
        {"AWS": f"arn:aws:iam::{MSP}:root"},
        {"StringEquals": {"sts:ExternalId": "globex-1"}},
    ),
    (
        "no-conditions",
        {"partition": "aws", "trusted_account_ids": [MSP], "require_mfa": False},
        {"AWS": f"arn:aws:iam::{MSP}:root"},
        None,
    ),
]


@pytest.mark.parametrize(
    ("options", "principal", "condition"), [c[1:] for c in BUILD_CASES], ids=[c[0] for c in BUILD_CASES]
)
def test_build_trust_policy(options, principal, condition):
    document = build_trust_policy(**options)
    [statement] = document["Statement"]
    assert document["Version"] == "2012-10-17"
    assert statement["Principal"] == principal
    assert statement["Action"] == "sts:AssumeRole"
    assert statement.get("Condition") == condition


ROOT = f"arn:aws:iam::{MSP}:root"
SAME_MEANING = [
    ("root-arn-vs-bare-id", trust({"AWS": ROOT}), trust({"AWS": MSP})),
    ("root-arn-vs-bare-id-aws-cn", trust({"AWS": f"arn:aws-cn:iam::{MSP}:root"}), trust({"AWS": MSP})),
    ("root-arn-vs-bare-id-aws-us-gov", trust({"AWS": f"arn:aws-us-gov:iam::{MSP}:root"}), trust({"AWS": MSP})),
    ("string-vs-one-element-list", trust({"AWS": ROOT}), trust({"AWS": [ROOT]})),
    (
        "principal-list-order",
        trust({"AWS": [ROOT, "arn:aws:iam::999999999999:root"]}),
        trust({"AWS": ["999999999999", MSP]}),
    ),
    ("duplicate-principal", trust({"AWS": [ROOT, MSP]}), trust({"AWS": ROOT})),
    (
        "bool-string-vs-bool",
        trust({"AWS": ROOT}, MFA),
        trust({"AWS": ROOT}, {"Bool": {"aws:MultiFactorAuthPresent": True}}),
    ),
    ("bool-case", trust({"AWS": ROOT}, MFA), trust({"AWS": ROOT}, {"Bool": {"aws:MultiFactorAuthPresent": "True"}})),
    (
        "condition-key-case",
        trust({"AWS": ROOT}, MFA),
        trust({"AWS": ROOT}, {"Bool": {"aws:multifactorauthpresent": "true"}}),
    ),
    (
        "number-vs-string",
        trust({"AWS": ROOT}, {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}),
        trust({"AWS": ROOT}, {"NumericLessThan": {"aws:MultiFactorAuthAge": ["3600"]}}),
    ),
    ("action-case-and-list", trust({"AWS": ROOT}), trust({"AWS": ROOT}, action=["sts:assumerole"])),
    (
        "statement-object-vs-list",
        trust({"AWS": ROOT}),
        {"Version": "2012-10-17", "Statement": trust({"AWS": ROOT})["Statement"][0]},
    ),
    ("star-principal", trust("*"), trust({"AWS": "*"})),
    ("json-text", trust({"AWS": ROOT}, MFA), json.dumps(trust({"AWS": MSP}, MFA))),
    ("url-encoded-json", trust({"AWS": ROOT}, MFA), quote(json.dumps(trust({"AWS": ROOT}, MFA)))),
    (
        "url-encoded-json-with-leading-white-space",
        trust({"AWS": ROOT}, MFA),
        quote("\n  " + json.dumps(trust({"AWS": ROOT}, MFA))),
    ),
    (
        "sid-is-only-a-label",
        {"Version": "2012-10-17", "Statement": [dict(trust({"AWS": ROOT}, MFA)["Statement"][0], Sid="TrustMsp")]},
        trust({"AWS": ROOT}, MFA),
    ),
    (
        "sid-renamed",
        {"Version": "2012-10-17", "Statement": [dict(trust({"AWS": ROOT})["Statement"][0], Sid="A")]},
        {"Version": "2012-10-17", "Statement": [dict(trust({"AWS": ROOT})["Statement"][0], Sid="B")]},
    ),
    ("missing-version-is-2008", trust({"AWS": ROOT}, version="2008-10-17"), trust({"AWS": ROOT}, version=None)),
]
DIFFERENT_MEANING = [
    ("other-account", trust({"AWS": ROOT}), trust({"AWS": "999999999999"})),
    ("root-vs-user-of-the-account", trust({"AWS": ROOT}), trust({"AWS": f"arn:aws:iam::{MSP}:user/alice"})),
    ("mfa-dropped", trust({"AWS": ROOT}, MFA), trust({"AWS": ROOT})),
    ("mfa-false", trust({"AWS": ROOT}, MFA), trust({"AWS": ROOT}, {"Bool": {"aws:MultiFactorAuthPresent": "false"}})),
    (
        "mfa-age-changed",
        trust({"AWS": ROOT}, {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        trust({"AWS": ROOT}, {"NumericLessThan": {"aws:MultiFactorAuthAge": "7200"}}),
    ),
    (
        "external-id-value-case",
        trust({"AWS": ROOT}, {"StringEquals": {"sts:ExternalId": "Globex"}}),
        trust({"AWS": ROOT}, {"StringEquals": {"sts:ExternalId": "globex"}}),
    ),
    ("deny-vs-allow", trust({"AWS": ROOT}), trust({"AWS": ROOT}, effect="Deny")),
    ("version", trust({"AWS": ROOT}), trust({"AWS": ROOT}, version="2008-10-17")),
    ("nothing-yet", None, trust({"AWS": ROOT})),
]


@pytest.mark.parametrize(("one", "other"), [c[1:] for c in SAME_MEANING], ids=[c[0] for c in SAME_MEANING])
def test_same_meaning_is_no_change_either_way_round(one, other):
    assert not policies_differ(one, other)
    assert not policies_differ(other, one)


@pytest.mark.parametrize(
    ("current", "desired"), [c[1:] for c in DIFFERENT_MEANING], ids=[c[0] for c in DIFFERENT_MEANING]
)
def test_different_meaning_is_a_change(current, desired):
    assert policies_differ(current, desired)


def test_built_policy_equals_what_iam_stores_for_it():
    """IAM returns bare ids as :root ARNs and may drop the one-element lists: still no change."""
    built = build_trust_policy("aws-us-gov", [MSP], mfa_max_age=900)
    stored = trust(
        {"AWS": [f"arn:aws-us-gov:iam::{MSP}:root"]},
        {
            "NumericLessThan": {"aws:MultiFactorAuthAge": 900},
            "Bool": {"aws:MultiFactorAuthPresent": True},
        },
    )
    stored["Statement"][0]["Sid"] = "TrustMspAccounts"
    assert not policies_differ(stored, built)


BAD_DOCUMENTS = [("not-json", "{nope"), ("json-list", "[]"), ("number", 5)]


@pytest.mark.parametrize("document", [c[1] for c in BAD_DOCUMENTS], ids=[c[0] for c in BAD_DOCUMENTS])
def test_parse_policy_names_the_option(document):
    with pytest.raises(InvalidInput) as raised:
        parse_policy(document, "trust_policy")
    assert raised.value.option == "trust_policy"


TRUST_PROBLEMS = [
    ("good", (None, [f"arn:aws:iam::{MSP}:user/ops/alice"], True, 3600, "globex-1"), []),
    ("role-without-mfa", (None, [f"arn:aws:iam::{MSP}:role/ops/Bot"], False, None, "globex-1"), []),
    ("mfa-by-default-allows-an-age", ([MSP], None, None, 3600, None), []),
    ("role-with-mfa", (None, [f"arn:aws:iam::{MSP}:role/ops/OnCall"], True, None, None), ["trusted_principals"]),
    (
        "role-with-default-mfa",
        (None, [f"arn:aws:iam::{MSP}:role/ops/OnCall"], None, None, None),
        ["trusted_principals"],
    ),
    ("root-as-principal", (None, [f"arn:aws:iam::{MSP}:root"], False, None, None), ["trusted_principals"]),
    (
        "accounts-and-principals-together",
        ([MSP], [f"arn:aws:iam::{MSP}:user/alice"], True, None, None),
        ["trusted_principals"],
    ),
    ("short-account-id", (["12345"], None, True, None, None), ["trusted_account_ids"]),
    ("account-id-as-number", ([123456789012], None, True, None, None), ["trusted_account_ids"]),
    ("principal-not-an-arn", (None, ["alice"], True, None, None), ["trusted_principals"]),
    ("principal-a-group", (None, [f"arn:aws:iam::{MSP}:group/ops"], True, None, None), ["trusted_principals"]),
    ("mfa-age-without-mfa", ([MSP], None, False, 600, None), ["mfa_max_age"]),
    ("mfa-age-zero", ([MSP], None, True, 0, None), ["mfa_max_age"]),
    ("external-id-too-short", ([MSP], None, True, None, "x"), ["external_id"]),
    ("external-id-bad-character", ([MSP], None, True, None, "globex 1"), ["external_id"]),
]


@pytest.mark.parametrize(("args", "options"), [c[1:] for c in TRUST_PROBLEMS], ids=[c[0] for c in TRUST_PROBLEMS])
def test_trust_input_problems(args, options):
    assert [option for option, _rule in trust_input_problems(*args)] == options


MANAGED = [
    ("short-name", "AdministratorAccess", "aws", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ("short-name-aws-cn", "ReadOnlyAccess", "aws-cn", "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"),
    (
        "short-name-with-path",
        "job-function/ViewOnlyAccess",
        "aws",
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    ),
    ("customer-arn", f"arn:aws:iam::{CLIENT}:policy/Mine", "aws-cn", f"arn:aws:iam::{CLIENT}:policy/Mine"),
]


@pytest.mark.parametrize(("given", "partition", "arn"), [c[1:] for c in MANAGED], ids=[c[0] for c in MANAGED])
def test_managed_policy_arn(given, partition, arn):
    assert managed_policy_arn(given, partition) == arn


@pytest.mark.parametrize("given", ["arn:aws:iam::aws:role/x", "Admin Access", ""], ids=["role-arn", "space", "empty"])
def test_managed_policy_arn_refuses(given):
    with pytest.raises(InvalidInput):
        managed_policy_arn(given, "aws")


def grant_summary(document, **asked):
    return [(g["principal"], g["guards"]) for g in trust_grants(document, CLIENT, **asked)]


GRANT_CASES = [
    ("account-asked-root-granted", trust({"AWS": ROOT}, MFA), {"account_ids": [MSP]}, [(ROOT, ["mfa"])]),
    (
        "account-asked-user-granted",
        trust({"AWS": f"arn:aws:iam::{MSP}:user/a"}),
        {"account_ids": [MSP]},
        [(f"arn:aws:iam::{MSP}:user/a", ["none"])],
    ),
    (
        "principal-asked-root-granted",
        trust({"AWS": MSP}),
        {"principals": [f"arn:aws:iam::{MSP}:user/a"]},
        [(MSP, ["none"])],
    ),
    (
        "principal-asked-other-user-granted",
        trust({"AWS": f"arn:aws:iam::{MSP}:user/b"}),
        {"principals": [f"arn:aws:iam::{MSP}:user/a"]},
        [],
    ),
    ("other-account", trust({"AWS": "999999999999"}), {"account_ids": [MSP]}, []),
    ("star-lets-everyone-in", trust("*"), {"account_ids": [MSP]}, [("*", ["none"])]),
    ("service-principal-is-not-an-account", trust({"Service": "ec2.amazonaws.com"}), {}, []),
    ("own-account-is-not-cross-account", trust({"AWS": CLIENT}), {}, []),
    (
        "any-foreign-account",
        trust({"AWS": ROOT}, {"StringEquals": {"sts:ExternalId": "x1"}}),
        {},
        [(ROOT, ["external_id"])],
    ),
    ("deny-is-not-a-grant", trust({"AWS": ROOT}, effect="Deny"), {"account_ids": [MSP]}, []),
    ("other-action", trust({"AWS": ROOT}, action="sts:TagSession"), {"account_ids": [MSP]}, []),
    (
        "mfa-age-and-other-condition",
        trust(
            {"AWS": ROOT},
            {**MFA, "NumericLessThan": {"aws:MultiFactorAuthAge": "60"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        ),
        {"account_ids": [MSP]},
        [(ROOT, ["mfa", "mfa_max_age", "other_conditions"])],
    ),
]


@pytest.mark.parametrize(
    ("document", "asked", "expected"), [c[1:] for c in GRANT_CASES], ids=[c[0] for c in GRANT_CASES]
)
def test_trust_grants(document, asked, expected):
    assert grant_summary(document, **asked) == expected


def test_grant_reports_mfa_age_and_external_ids():
    document = trust(
        {"AWS": ROOT},
        {**MFA, "NumericLessThan": {"aws:MultiFactorAuthAge": "900"}, "StringEquals": {"sts:ExternalId": ["b", "a"]}},
    )
    [grant] = trust_grants(document, CLIENT, account_ids=[MSP])
    assert (grant["require_mfa"], grant["mfa_max_age"], grant["external_ids"]) == (True, 900, ["a", "b"])


EXTERNAL_ID_CASES = [
    ("every-statement-demands-it", build_trust_policy("aws", [MSP], external_id="x1"), True),
    ("mfa-only", build_trust_policy("aws", [MSP]), False),
    (
        "one-statement-without",
        {
            "Statement": [
                *build_trust_policy("aws", [MSP], external_id="x1")["Statement"],
                *build_trust_policy("aws", [MSP])["Statement"],
            ]
        },
        False,
    ),
    ("no-statements", {"Statement": []}, False),
]


@pytest.mark.parametrize(
    ("document", "expected"), [c[1:] for c in EXTERNAL_ID_CASES], ids=[c[0] for c in EXTERNAL_ID_CASES]
)
def test_requires_external_id(document, expected):
    assert requires_external_id(document) is expected


# --- what counts as a guard: only conditions that hold for every caller --------------------------------

GUARD_CASES = [
    ("bool-true", {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, ["mfa"]),
    ("bool-true-upper-case-and-list", {"Bool": {"aws:MultiFactorAuthPresent": ["TRUE"]}}, ["mfa"]),
    ("bool-json-true", {"Bool": {"aws:MultiFactorAuthPresent": True}}, ["mfa"]),
    # long-term keys carry no aws:MultiFactorAuthPresent, and IfExists lets an absent key through
    ("bool-if-exists-is-no-mfa", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, ["other_conditions"]),
    ("bool-true-or-false-is-no-mfa", {"Bool": {"aws:MultiFactorAuthPresent": ["true", "false"]}}, ["other_conditions"]),
    ("bool-false-is-no-mfa", {"Bool": {"aws:MultiFactorAuthPresent": "false"}}, ["other_conditions"]),
    ("mfa-age-less-than-equals", {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "900"}}, ["mfa_max_age"]),
    (
        "mfa-age-if-exists-is-no-age",
        {"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "900"}},
        ["other_conditions"],
    ),
    ("external-id-string-equals", {"StringEquals": {"sts:ExternalId": "globex-1"}}, ["external_id"]),
    ("external-id-string-like-literal", {"StringLike": {"sts:ExternalId": "globex-1"}}, ["external_id"]),
    (
        "external-id-if-exists-is-none",
        {"StringEqualsIfExists": {"sts:ExternalId": "globex-1"}},
        ["other_conditions"],
    ),
    ("external-id-star-is-none", {"StringLike": {"sts:ExternalId": "*"}}, ["other_conditions"]),
    ("external-id-question-mark-is-none", {"StringLike": {"sts:ExternalId": "globex-?"}}, ["other_conditions"]),
    ("external-id-for-any-value-is-none", {"ForAnyValue:StringEquals": {"sts:ExternalId": "x1"}}, ["other_conditions"]),
]


@pytest.mark.parametrize(("condition", "guards"), [c[1:] for c in GUARD_CASES], ids=[c[0] for c in GUARD_CASES])
def test_only_conditions_that_hold_for_every_caller_are_guards(condition, guards):
    [statement] = trust({"AWS": ROOT}, condition)["Statement"]
    found = statement_guards(statement)
    assert found["guards"] == guards
    assert found["require_mfa"] is ("mfa" in guards)
    assert bool(found["external_ids"]) is ("external_id" in guards)
    assert (found["mfa_max_age"] is not None) is ("mfa_max_age" in guards)


def test_an_if_exists_mfa_role_is_reported_unguarded():
    [grant] = trust_grants(trust({"AWS": ROOT}, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}), CLIENT)
    assert grant_is_unguarded(grant)
    assert grant["other_conditions"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}


# --- which statements let AssumeRole through: IAM's wildcard matching ------------------------------------

ACTION_CASES = [
    ("exact", {"Action": "sts:AssumeRole"}, True),
    ("upper-case", {"Action": "STS:ASSUMEROLE"}, True),
    ("sts-star", {"Action": "sts:*"}, True),
    ("star", {"Action": "*"}, True),
    ("prefix-wildcard", {"Action": "sts:Assume*"}, True),
    ("inner-wildcard", {"Action": ["s3:GetObject", "sts:*Role"]}, True),
    ("question-mark", {"Action": "sts:AssumeRol?"}, True),
    ("question-mark-is-one-character", {"Action": "sts:AssumeRo?"}, False),
    ("other-action", {"Action": "sts:AssumeRoleWith*"}, False),
    ("brackets-are-literal", {"Action": "sts:Assume[R]ole"}, False),
    ("not-action-other", {"NotAction": "sts:TagSession"}, True),
    ("not-action-matching", {"NotAction": ["sts:TagSession", "sts:Assume*"]}, False),
]


@pytest.mark.parametrize(("actions", "grants"), [c[1:] for c in ACTION_CASES], ids=[c[0] for c in ACTION_CASES])
def test_action_patterns_match_assume_role_as_iam_does(actions, grants):
    document = {"Statement": [dict({"Effect": "Allow", "Principal": {"AWS": ROOT}}, **actions)]}
    assert bool(trust_grants(document, CLIENT, account_ids=[MSP])) is grants


# --- Deny statements on the way in ----------------------------------------------------------------------

ALLOW_ALICE = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MSP}:user/alice"}, "Action": "sts:AssumeRole"}
DENY_CASES = [
    ("unconditional-deny-of-the-principal", {"AWS": f"arn:aws:iam::{MSP}:user/alice"}, None, "sts:AssumeRole", True),
    ("unconditional-deny-of-its-account", {"AWS": MSP}, None, "sts:*", True),
    ("unconditional-deny-of-everyone", "*", None, "sts:AssumeRole", True),
    (
        "conditional-deny-is-listed-not-evaluated",
        "*",
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        "sts:AssumeRole",
        False,
    ),
]


@pytest.mark.parametrize(
    ("principal", "condition", "action", "blocked"), [c[1:] for c in DENY_CASES], ids=[c[0] for c in DENY_CASES]
)
def test_deny_statements_are_attached_to_the_grants_they_cover(principal, condition, action, blocked):
    deny = {"Effect": "Deny", "Principal": principal, "Action": action}
    if condition:
        deny["Condition"] = condition
    [grant] = trust_grants({"Statement": [ALLOW_ALICE, deny]}, CLIENT, account_ids=[MSP])
    assert grant["denied_by"] == [deny]
    assert grant["blocked"] is blocked
    assert grant_is_unguarded(grant) is not blocked


@pytest.mark.parametrize(
    "deny",
    [
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{MSP}:user/bob"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession"},
    ],
    ids=["another-user", "another-action"],
)
def test_deny_of_someone_or_something_else_is_not_attached(deny):
    [grant] = trust_grants({"Statement": [ALLOW_ALICE, deny]}, CLIENT, account_ids=[MSP])
    assert (grant["denied_by"], grant["blocked"], grant_is_unguarded(grant)) == ([], False, True)
