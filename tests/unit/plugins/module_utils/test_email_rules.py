"""AWS's rules for root emails and alternate contacts, case by case (validation.py)."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import (
    contact_field_problem,
    email_problem,
    require_email,
    role_name_problem,
)

VALID_EMAILS = {
    "plain": "awsaccounts@example.com",
    "plus-addressed": "awsaccounts+acme-corp@example.com",
    "six-characters": "a@b.co",
    "sixty-four-characters": "a" * 52 + "@example.com",
    "subdomain": "aws@mail.client.example",
    "hyphenated-domain": "aws@my-client.example",
    # AWS states no rule against these, so neither does the module.
    "trailing-dot-before-at": "aws.@example.com",
    "double-dot-before-at": "aws..ops@example.com",
    "label-with-edge-hyphen": "aws@my-.example.com",
    "empty-domain-label": "aws@example..com",
    "dotted-local-part": "aws.accounts@example.com",
}

INVALID_EMAILS = {
    "empty": ("", "is required"),
    "not-a-string": (None, "is required"),
    "five-characters": ("a@b.c", "6 to 64 characters"),
    "sixty-five-characters": ("a" * 53 + "@example.com", "6 to 64 characters"),
    "not-ascii": ("zoë@example.com", "7-bit ASCII"),
    "no-at": ("awsaccounts.example.com", "exactly one '@'"),
    "two-ats": ("aws@accounts@example.com", "exactly one '@'"),
    "nothing-before-at": ("@example.com", "nothing before"),
    "space": ("aws accounts@example.com", "whitespace"),
    "tab": ("aws\taccounts@example.com", "whitespace"),
    "leading-dot": (".aws@example.com", "must not start with '.'"),
    "undotted-domain": ("awsaccounts@localhost", "dotted domain"),
    "domain-starts-with-hyphen": ("aws@-example.com", "not start or end with '-' or '.'"),
    "domain-ends-with-hyphen": ("aws@example.com-", "not start or end with '-' or '.'"),
    "domain-starts-with-dot": ("aws@.example.com", "not start or end with '-' or '.'"),
    "domain-ends-with-dot": ("aws@example.com.", "not start or end with '-' or '.'"),
    "domain-underscore": ("aws@ex_ample.com", "only letters, digits, '-' and '.'"),
    "domain-plus": ("aws@ex+ample.com", "only letters, digits, '-' and '.'"),
    **{
        f"forbidden-{name}": (f"aws{ch}ops@example.com", f"must not contain {ch}")
        for name, ch in {
            "double-quote": '"',
            "single-quote": "'",
            "open-paren": "(",
            "close-paren": ")",
            "less-than": "<",
            "greater-than": ">",
            "open-bracket": "[",
            "close-bracket": "]",
            "colon": ":",
            "semicolon": ";",
            "comma": ",",
            "backslash": "\\",
            "pipe": "|",
            "percent": "%",
            "ampersand": "&",
        }.items()
    },
}


@pytest.mark.parametrize("email", VALID_EMAILS.values(), ids=VALID_EMAILS.keys())
def test_valid_email(email):
    assert email_problem(email) is None


@pytest.mark.parametrize(("email", "rule"), INVALID_EMAILS.values(), ids=INVALID_EMAILS.keys())
def test_invalid_email_names_the_rule(email, rule):
    assert rule in email_problem(email)


def test_require_email_names_the_option():
    with pytest.raises(InvalidInput) as raised:
        require_email("no-at-sign", option="email")
    assert raised.value.option == "email" and str(raised.value.message).startswith("email: ")


CONTACT_FIELDS = {
    "phone-digits": ("phone", "+1 (555) 010-0100", None),
    "phone-letters": ("phone", "call me", "digits, spaces"),
    "phone-26-characters": ("phone", "1" * 26, "1 to 25"),
    "phone-empty": ("phone", "", "is required"),
    "email-plain": ("email", "ops@example.com", None),
    "email-no-domain-dot": ("email", "ops@example", "email address"),
    "email-two-ats": ("email", "a@b@example.com", "email address"),
    "email-255-characters": ("email", "a" * 243 + "@example.com", "1 to 254"),
    "name-64-characters": ("name", "n" * 64, None),
    "name-65-characters": ("name", "n" * 65, "1 to 64"),
    "title-50-characters": ("title", "t" * 50, None),
    "title-51-characters": ("title", "t" * 51, "1 to 50"),
    "title-missing": ("title", None, "is required"),
}


@pytest.mark.parametrize(("field", "value", "rule"), CONTACT_FIELDS.values(), ids=CONTACT_FIELDS.keys())
def test_contact_field_rules(field, value, rule):
    problem = contact_field_problem(field, value)
    assert problem is None if rule is None else rule in problem


ROLE_NAMES = {
    "default": ("OrganizationAccountAccessRole", True),
    "allowed-punctuation": ("msp+ops=a,b.c@d-e_f", True),
    "space": ("no spaces", False),
    "slash": ("path/role", False),
    "65-characters": ("r" * 65, False),
    "empty": ("", False),
}


@pytest.mark.parametrize(("role_name", "valid"), ROLE_NAMES.values(), ids=ROLE_NAMES.keys())
def test_role_name_rules(role_name, valid):
    assert (role_name_problem(role_name) is None) is valid
