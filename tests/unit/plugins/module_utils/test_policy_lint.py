"""parliament lints the policies the collection generates: nothing above LOW.

parliament lints identity policies; a trust policy (a resource policy) has a Principal and no Resource,
so the linted copy carries the role's ARN as Resource, as parliament demands one.
"""

import json

import pytest
from parliament import analyze_policy_string, enhance_finding

from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import build_trust_policy

ROLE_ARN = "arn:aws:iam::210987654321:role/MspAdministrator"
SEVERITY_ORDER = ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

TRUST_CASES = [
    ("mfa", {"trusted_account_ids": ["123456789012"]}),
    ("mfa-max-age", {"trusted_account_ids": ["123456789012"], "mfa_max_age": 3600}),
    ("pinned-principals", {"trusted_principals": ["arn:aws:iam::123456789012:role/OnCall"]}),
    ("external-id", {"trusted_account_ids": ["123456789012"], "require_mfa": False, "external_id": "globex-1"}),
]
PERMISSION_POLICIES = [
    (
        "restart-instances",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ec2:RebootInstances", "ec2:StartInstances"], "Resource": "*"}
            ],
        },
    ),
    (
        "read-one-bucket",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::globex-logs"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::globex-logs/*"},
            ],
        },
    ),
]


def findings_above_low(document):
    policy = analyze_policy_string(json.dumps(document))
    findings = [enhance_finding(finding) for finding in policy.findings]
    return [(f.issue, f.severity, f.detail) for f in findings if SEVERITY_ORDER.index(f.severity) > 1]


def with_role_as_resource(document):
    return {
        **document,
        "Statement": [{**statement, "Resource": ROLE_ARN} for statement in document["Statement"]],
    }


@pytest.mark.parametrize("options", [c[1] for c in TRUST_CASES], ids=[c[0] for c in TRUST_CASES])
def test_generated_trust_policy_passes_parliament(options):
    assert findings_above_low(with_role_as_resource(build_trust_policy("aws", **options))) == []


@pytest.mark.parametrize("document", [c[1] for c in PERMISSION_POLICIES], ids=[c[0] for c in PERMISSION_POLICIES])
def test_typical_permission_policy_passes_parliament(document):
    assert findings_above_low(document) == []


def test_the_lint_does_catch_a_bad_policy():
    """An action on a resource of another service is a MEDIUM finding: the lint is not vacuous."""
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ROLE_ARN}]}
    assert [issue for issue, _severity, _detail in findings_above_low(bad)] == ["RESOURCE_MISMATCH"]
