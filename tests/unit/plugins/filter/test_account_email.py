"""The account_email filter: client keys normalised, results checked by the module's own email rules."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.filter.account_email import FilterModule, account_email

RESULTS = {
    "issue-example": ("awsaccounts@example.com", "ACME Corp", "+", "awsaccounts+acme-corp@example.com"),
    "punctuation-collapsed": ("aws@example.com", "Smith & Sons, Ltd.", "+", "aws+smith-sons-ltd@example.com"),
    "accents-dropped": ("aws@example.com", "Zürich Café", "+", "aws+zurich-cafe@example.com"),
    "digits-kept": ("aws@example.com", "Client 42", "+", "aws+client-42@example.com"),
    "number-key": ("aws@example.com", 7, "+", "aws+7@example.com"),
    "hyphen-separator": ("aws@example.com", "Globex", "-", "aws-globex@example.com"),
    "exactly-64": ("a@example.com", "k" * 50, "+", "a+" + "k" * 50 + "@example.com"),
}


@pytest.mark.parametrize(("base", "key", "separator", "email"), RESULTS.values(), ids=RESULTS.keys())
def test_account_email(base, key, separator, email):
    assert account_email(base, key, separator) == email


ERRORS = {
    "too-long": ("a@example.com", "k" * 51, "+", "65 characters"),
    "key-without-letters": ("aws@example.com", "!!!", "+", "no letters or digits"),
    "key-only-non-ascii": ("aws@example.com", "東京", "+", "no letters or digits"),
    "invalid-base": ("aws(at)example.com", "ACME", "+", "exactly one '@'"),
    "base-undotted-domain": ("aws@localhost", "ACME", "+", "dotted domain"),
    "base-forbidden-character": ("aws;ops@example.com", "ACME", "+", "must not contain ;"),
    "bad-separator": ("aws@example.com", "ACME", "/", "separator"),
    "key-none": ("aws@example.com", None, "+", "client key is required"),
    "key-blank": ("aws@example.com", "   ", "+", "client key is required"),
}


@pytest.mark.parametrize(("base", "key", "separator", "rule"), ERRORS.values(), ids=ERRORS.keys())
def test_account_email_errors(base, key, separator, rule):
    with pytest.raises(AnsibleFilterError, match="account_email") as raised:
        account_email(base, key, separator)
    assert rule in str(raised.value)


def test_registered_under_its_name():
    assert FilterModule().filters()["account_email"] is account_email
