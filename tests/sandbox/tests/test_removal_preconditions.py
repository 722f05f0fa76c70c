"""RemoveAccountFromOrganization refusals: delegated administrator, waiting period, payment, phone."""

import botocore.exceptions
import pytest

DAY = 86400


def _refusal(org, account_id) -> tuple[str, str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        org.remove_account_from_organization(AccountId=account_id)
    response = raised.value.response
    return response["Error"]["Code"], response.get("Reason"), response["Error"]["Message"]


def _invited_member(aws, world, key: str) -> str:
    org = aws.management("organizations")
    account_id = world["clients"][key]["account_id"]
    handshake = org.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": account_id})["Handshake"]
    aws.client_account(key, "organizations").accept_handshake(HandshakeId=handshake["Id"])
    return account_id


def _member_ids(org) -> set[str]:
    return {a["Id"] for a in org.list_accounts()["Accounts"]}


def test_created_account_waits_four_days_on_the_sandbox_clock(aws, sandbox):
    org = aws.management("organizations")
    account_id = aws.create_member("Fresh")
    code, reason, message = _refusal(org, account_id)
    assert (code, reason) == ("ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
    assert "four days" in message
    assert sandbox.settings()["removal_wait_period_days"] == 4.0

    sandbox.advance_clock(4 * DAY - 120)
    assert _refusal(org, account_id)[1] == "WAIT_PERIOD_ACTIVE"
    sandbox.advance_clock(240)
    org.remove_account_from_organization(AccountId=account_id)
    assert account_id not in _member_ids(org)


def test_wait_period_is_a_setting_and_spares_invited_accounts(aws, world, sandbox):
    org = aws.management("organizations")
    sandbox.configure(removal_wait_period_days=0.5)
    created = aws.create_member("Half Day")
    assert _refusal(org, created)[1] == "WAIT_PERIOD_ACTIVE"
    sandbox.advance_clock(DAY / 2)
    org.remove_account_from_organization(AccountId=created)

    # An invited account that joined a moment ago leaves at once.
    invited = _invited_member(aws, world, "globex")
    org.remove_account_from_organization(AccountId=invited)
    assert invited not in _member_ids(org)


@pytest.mark.parametrize(
    ("flag", "reason", "sentence"),
    [
        ("payment_instrument", "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED", "payment instrument"),
        ("phone_verified", "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION", "phone verification"),
    ],
    ids=["payment-instrument-missing", "phone-verification-missing"],
)
def test_account_not_ready_to_stand_alone_is_refused_until_fixed(aws, world, sandbox, flag, reason, sentence):
    org = aws.management("organizations")
    account_id = _invited_member(aws, world, "initech")
    readiness = sandbox.request("POST", "/standalone-readiness", {"account_id": account_id, flag: False})
    assert readiness[flag] is False
    code, refused_reason, message = _refusal(org, account_id)
    assert (code, refused_reason) == ("ConstraintViolationException", reason)
    assert sentence in message
    assert account_id in _member_ids(org)

    sandbox.request("POST", "/standalone-readiness", {"account_id": account_id, flag: True})
    org.remove_account_from_organization(AccountId=account_id)
    assert account_id not in _member_ids(org)


def test_readiness_flags_are_per_account_and_forgotten_on_reset(aws, world, sandbox):
    globex, umbrella = world["clients"]["globex"]["account_id"], world["clients"]["umbrella"]["account_id"]
    sandbox.request("POST", "/standalone-readiness", {"account_id": globex, "phone_verified": False})
    query = {"account_id": umbrella}
    assert sandbox.request("GET", "/standalone-readiness", query=query) == {
        "account_id": umbrella,
        "payment_instrument": True,
        "phone_verified": True,
    }
    assert sandbox.request("GET", "/standalone-readiness", query={"account_id": globex})["phone_verified"] is False
    sandbox.reset()
    assert sandbox.request("GET", "/standalone-readiness", query={"account_id": globex})["phone_verified"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"account_id": "999999999999", "payment_instrument": False}, "404"),
        ({"account_id": "210987654321", "payment_instrument": "no"}, "400"),
        ({"account_id": "210987654321", "support_plan": False}, "400"),
    ],
    ids=["unknown-account", "not-a-boolean", "unknown-flag"],
)
def test_readiness_route_rejects_bad_requests(sandbox, body, status):
    from msp_sandbox.client import SandboxError

    with pytest.raises(SandboxError, match=f"HTTP {status}"):
        sandbox.request("POST", "/standalone-readiness", body)


def test_delegated_administrator_is_refused_until_deregistered(aws, world):
    org = aws.management("organizations")
    account_id = _invited_member(aws, world, "umbrella")
    org.register_delegated_administrator(AccountId=account_id, ServicePrincipal="guardduty.amazonaws.com")
    code, reason, message = _refusal(org, account_id)
    assert (code, reason) == ("ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
    assert "deregister" in message
    services = org.list_delegated_services_for_account(AccountId=account_id)["DelegatedServices"]
    assert [s["ServicePrincipal"] for s in services] == ["guardduty.amazonaws.com"]

    org.deregister_delegated_administrator(AccountId=account_id, ServicePrincipal="guardduty.amazonaws.com")
    org.remove_account_from_organization(AccountId=account_id)
    assert account_id not in _member_ids(org)


def test_delegated_administrator_is_checked_before_the_other_refusals(aws, world, sandbox):
    org = aws.management("organizations")
    account_id = _invited_member(aws, world, "globex")
    sandbox.request("POST", "/standalone-readiness", {"account_id": account_id, "payment_instrument": False})
    org.register_delegated_administrator(AccountId=account_id, ServicePrincipal="ssm.amazonaws.com")
    assert _refusal(org, account_id)[1] == "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG"
    org.deregister_delegated_administrator(AccountId=account_id, ServicePrincipal="ssm.amazonaws.com")
    assert _refusal(org, account_id)[1] == "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"
