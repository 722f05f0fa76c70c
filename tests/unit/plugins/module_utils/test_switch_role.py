"""The switch-role link and the CLI profile: encoding, partitions, the console's 64-character rule."""

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import build_trust_policy
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import (
    cli_profile,
    color_problem,
    display_name_problem,
    link_role_name,
    link_role_name_problem,
    links,
    switch_role_url,
)

ACCOUNT = "210987654321"

URL_CASES = [
    (
        "plain",
        ("aws", ACCOUNT, "/", "MspAdministrator", "Globex admin", None),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=MspAdministrator"
        "&displayName=Globex%20admin",
    ),
    (
        "path-kept-without-leading-slash",
        ("aws", ACCOUNT, "/msp/oncall/", "OnCall", "On call", "F2B0A9"),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=msp/oncall/OnCall"
        "&displayName=On%20call&color=F2B0A9",
    ),
    (
        "display-name-encoded",
        ("aws", ACCOUNT, "/", "Admin", "Globex & Co @ prod/eu?", None),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=Admin"
        "&displayName=Globex%20%26%20Co%20%40%20prod/eu%3F",
    ),
    (
        "display-name-unicode",
        ("aws", ACCOUNT, "/", "Admin", "Société", None),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=Admin&displayName=Soci%C3%A9t%C3%A9",
    ),
    (
        "default-display-name",
        ("aws", ACCOUNT, "/", "Admin", None, None),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=Admin"
        "&displayName=Admin%20%40%20210987654321",
    ),
    (
        "role-name-characters",
        ("aws", ACCOUNT, "/", "ops+admin=1,a.b@c", "x", None),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=ops%2Badmin%3D1%2Ca.b%40c&displayName=x",
    ),
    (
        "china",
        ("aws-cn", ACCOUNT, "/", "Admin", "x", None),
        "https://signin.amazonaws.cn/switchrole?account=210987654321&roleName=Admin&displayName=x",
    ),
    (
        "govcloud",
        ("aws-us-gov", ACCOUNT, "/", "Admin", "x", None),
        "https://signin.amazonaws-us-gov.com/switchrole?account=210987654321&roleName=Admin&displayName=x",
    ),
    ("iso-partition-has-no-console-link", ("aws-iso", ACCOUNT, "/", "Admin", "x", None), None),
]


@pytest.mark.parametrize(("args", "url"), [c[1:] for c in URL_CASES], ids=[c[0] for c in URL_CASES])
def test_switch_role_url(args, url):
    assert switch_role_url(*args) == url


LENGTH_CASES = [
    ("64-name-default-path", "/", "R" * 64, False),
    ("path-and-name-64", "/team/", "R" * 59, False),
    ("path-and-name-65", "/team/", "R" * 60, True),
    ("path-and-name-69", "/engineering/oncall/", "R" * 50, True),
]


@pytest.mark.parametrize(("path", "name", "refused"), [c[1:] for c in LENGTH_CASES], ids=[c[0] for c in LENGTH_CASES])
def test_console_64_character_rule(path, name, refused):
    assert bool(link_role_name_problem(path, name)) is refused


COLOR_CASES = [
    ("upper-hex", "F2B0A9", False),
    ("lower-hex", "f2b0a9", False),
    ("hash", "#F2B0A9", True),
    ("name", "red", True),
    ("three-digits", "FFF", True),
    ("unset", None, False),
]


@pytest.mark.parametrize(("color", "refused"), [c[1:] for c in COLOR_CASES], ids=[c[0] for c in COLOR_CASES])
def test_color_rule(color, refused):
    assert bool(color_problem(color)) is refused


@pytest.mark.parametrize(
    ("display_name", "refused"), [("x" * 64, False), ("x" * 65, True), ("", True)], ids=["64", "65", "empty"]
)
def test_display_name_rule(display_name, refused):
    assert bool(display_name_problem(display_name)) is refused


PROFILE_CASES = [
    (
        "mfa",
        ("arn:aws:iam::210987654321:role/Admin", True),
        {
            "role_arn": "arn:aws:iam::210987654321:role/Admin",
            "source_profile": "<source_profile>",
            "mfa_serial": "<mfa_serial>",
        },
    ),
    (
        "external-id-and-colour-without-mfa",
        ("arn:aws:iam::210987654321:role/Bot", False, "globex-1", "00FF00"),
        {
            "role_arn": "arn:aws:iam::210987654321:role/Bot",
            "source_profile": "<source_profile>",
            "external_id": "globex-1",
            "color": "00FF00",
        },
    ),
]


@pytest.mark.parametrize(("args", "profile"), [c[1:] for c in PROFILE_CASES], ids=[c[0] for c in PROFILE_CASES])
def test_cli_profile(args, profile):
    assert cli_profile(*args) == profile


MSP = "123456789012"
TAG_SESSION = {"Effect": "Allow", "Principal": {"AWS": MSP}, "Action": "sts:TagSession"}


def role(trust, arn=f"arn:aws:iam::{ACCOUNT}:role/msp/Admin"):
    return {"arn": arn, "path": "/msp/", "name": "Admin", "trust_policy": trust}


def with_statement(document, statement):
    return {"Version": document["Version"], "Statement": [*document["Statement"], statement]}


LINK_CASES = [
    (
        "mfa-role",
        role(build_trust_policy("aws", [MSP])),
        "https://signin.aws.amazon.com/switchrole?account=210987654321&roleName=msp/Admin&displayName=x",
        {
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/msp/Admin",
            "source_profile": "<source_profile>",
            "mfa_serial": "<mfa_serial>",
        },
    ),
    (
        "external-id-role-has-no-link",
        role(build_trust_policy("aws", [MSP], require_mfa=False, external_id="globex-1")),
        None,
        {
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/msp/Admin",
            "source_profile": "<source_profile>",
            "external_id": "globex-1",
        },
    ),
    (
        # A statement that does not allow AssumeRole opens no way in for the console.
        "external-id-role-with-a-tag-session-statement-has-no-link",
        role(with_statement(build_trust_policy("aws", [MSP], require_mfa=False, external_id="globex-1"), TAG_SESSION)),
        None,
        {
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/msp/Admin",
            "source_profile": "<source_profile>",
            "external_id": "globex-1",
        },
    ),
    (
        "iso-partition-has-a-profile-but-no-link",
        role(build_trust_policy("aws-iso", [MSP]), arn=f"arn:aws-iso:iam::{ACCOUNT}:role/msp/Admin"),
        None,
        {
            "role_arn": f"arn:aws-iso:iam::{ACCOUNT}:role/msp/Admin",
            "source_profile": "<source_profile>",
            "mfa_serial": "<mfa_serial>",
        },
    ),
    ("no-arn-yet", role(build_trust_policy("aws", [MSP]), arn=None), None, None),
]


@pytest.mark.parametrize(("given", "url", "profile"), [c[1:] for c in LINK_CASES], ids=[c[0] for c in LINK_CASES])
def test_links(given, url, profile):
    assert links(given, display_name="x") == (url, profile)


def test_link_role_name_keeps_the_path():
    assert link_role_name("/msp/oncall/", "OnCall") == "msp/oncall/OnCall"
