"""Removal from the organization: AWS's refusals become messages that say what to do."""

from datetime import UTC, datetime

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils import membership
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError

ACCOUNT_ID = "210987654321"
CREATED = {"Id": ACCOUNT_ID, "JoinedMethod": "CREATED", "JoinedTimestamp": datetime(2024, 5, 2, 10, 0, tzinfo=UTC)}
INVITED = {"Id": ACCOUNT_ID, "JoinedMethod": "INVITED", "JoinedTimestamp": datetime(2024, 5, 2, 10, 0, tzinfo=UTC)}


def refusal(code, reason=None):
    response = {"Error": {"Code": code, "Message": "refused"}}
    if reason:
        response["Reason"] = reason
    return botocore.exceptions.ClientError(response, "RemoveAccountFromOrganization")


class FakeOrganizations:
    def __init__(self, answer=None, delegated=("guardduty.amazonaws.com",)):
        self.answer = answer
        self.delegated = delegated
        self.removed = []

    def remove_account_from_organization(self, AccountId, aws_retry):
        self.removed.append(AccountId)
        if self.answer:
            raise self.answer

    def list_delegated_services_for_account(self, AccountId, aws_retry):
        if self.delegated is None:
            raise refusal("AccessDeniedException")
        return {"DelegatedServices": [{"ServicePrincipal": name} for name in self.delegated]}


REFUSAL_CASES = [
    ("payment-instrument", "ConstraintViolationException", "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED", CREATED,
     None, ["add a payment method", ACCOUNT_ID]),
    ("phone-verification", "ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
     INVITED, None, ["phone verification", "root user"]),
    ("eula", "ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA", INVITED, None,
     ["Customer Agreement"]),
    ("wait-period-with-date", "ConstraintViolationException", "WAIT_PERIOD_ACTIVE", CREATED, None,
     ["2024-05-02T10:00:00+00:00", "from 2024-05-06T10:00:00+00:00 at the earliest"]),
    ("wait-period-from-iso-string", "ConstraintViolationException", "WAIT_PERIOD_ACTIVE",
     dict(CREATED, JoinedTimestamp="2024-05-02T10:00:00+00:00"), None, ["from 2024-05-06T10:00:00+00:00"]),
    ("wait-period-without-date", "ConstraintViolationException", "WAIT_PERIOD_ACTIVE", INVITED, None,
     ["at least four days", "run this again after that"]),
    ("delegated-administrator-names-services", "ConstraintViolationException",
     "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG", INVITED, ("guardduty.amazonaws.com", "ssm.amazonaws.com"),
     ["guardduty.amazonaws.com, ssm.amazonaws.com", "Deregister it"]),
    ("delegated-administrator-services-unreadable", "ConstraintViolationException",
     "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG", INVITED, None, ["one or more services"]),
    ("management-account-reason", "ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_ORGANIZATION", INVITED, None,
     ["management account"]),
    ("management-account-exception", "MasterCannotLeaveOrganizationException", None, INVITED, None,
     ["management account"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "reason", "account", "delegated", "says"),
    [case[1:] for case in REFUSAL_CASES],
    ids=[case[0] for case in REFUSAL_CASES],
)
def test_removal_refusals_say_what_to_do(code, reason, account, delegated, says):
    client = FakeOrganizations(refusal(code, reason), delegated=delegated)
    with pytest.raises(MspAwsError) as raised:
        membership.remove_account(client, account)
    message = raised.value.message
    assert message.startswith(f"AWS refuses to remove account {ACCOUNT_ID} from the organization")
    for fragment in says:
        assert fragment in message
    assert raised.value.exception.response["Error"]["Code"] == code


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(None, True), (refusal("AccountNotFoundException"), False)],
    ids=["removed", "already-gone"],
)
def test_remove_account(answer, expected):
    client = FakeOrganizations(answer)
    assert membership.remove_account(client, INVITED) is expected
    assert client.removed == [ACCOUNT_ID]


@pytest.mark.parametrize(
    ("code", "reason"),
    [("ConstraintViolationException", "SOMETHING_NEW"), ("AccessDeniedException", None)],
    ids=["unknown-constraint", "other-error"],
)
def test_other_failures_keep_aws_error(code, reason):
    with pytest.raises(MspAwsError) as raised:
        membership.remove_account(FakeOrganizations(refusal(code, reason)), INVITED)
    assert raised.value.message == f"Failed to remove account {ACCOUNT_ID}"
