"""The invitation decision table and the handshake helpers, without AWS."""

from datetime import UTC, datetime

import botocore.exceptions
import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils import handshakes as hs
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError

ORG = "o-exampleorg1"
GLOBEX = "210987654321"
GLOBEX_EMAIL = "aws-root@globex.example"
T0 = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
T1 = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)

# (id, state, membership, handshake state, management account?, credentials?, wait?, expected steps)
PLAN_CASES = [
    ("present-none-no-invitation", "present", hs.NONE, None, False, False, False, (hs.INVITE,)),
    ("present-none-declined", "present", hs.NONE, "DECLINED", False, False, False, (hs.INVITE,)),
    ("present-none-expired", "present", hs.NONE, "EXPIRED", False, False, False, (hs.INVITE,)),
    ("present-none-canceled", "present", hs.NONE, "CANCELED", False, False, False, (hs.INVITE,)),
    ("present-none-accepted-then-removed", "present", hs.NONE, "ACCEPTED", False, False, False, (hs.INVITE,)),
    ("present-none-credentials", "present", hs.NONE, None, False, True, False, (hs.INVITE, hs.ACCEPT)),
    ("present-none-credentials-beat-wait", "present", hs.NONE, None, False, True, True, (hs.INVITE, hs.ACCEPT)),
    ("present-none-wait", "present", hs.NONE, None, False, False, True, (hs.INVITE, hs.WAIT)),
    ("present-declined-wait", "present", hs.NONE, "DECLINED", False, False, True, (hs.INVITE, hs.WAIT)),
    ("present-invited-pending", "present", hs.INVITED, "REQUESTED", False, False, False, ()),
    ("present-invited-open-state", "present", hs.INVITED, "OPEN", False, False, False, ()),
    ("present-invited-credentials", "present", hs.INVITED, "REQUESTED", False, True, False, (hs.ACCEPT,)),
    ("present-invited-wait", "present", hs.INVITED, "REQUESTED", False, False, True, (hs.WAIT,)),
    ("present-member", "present", hs.MEMBER, "ACCEPTED", False, True, True, ()),
    ("present-member-no-handshake-listed", "present", hs.MEMBER, None, False, False, False, ()),
    ("present-management-account", "present", hs.MEMBER, None, True, False, False, ()),
    ("absent-member", "absent", hs.MEMBER, "ACCEPTED", False, False, False, (hs.REMOVE,)),
    ("absent-member-created", "absent", hs.MEMBER, None, False, False, False, (hs.REMOVE,)),
    ("absent-member-stray-open-invitation", "absent", hs.MEMBER, "REQUESTED", False, False, False,
     (hs.CANCEL, hs.REMOVE)),
    ("absent-invited", "absent", hs.INVITED, "REQUESTED", False, False, False, (hs.CANCEL,)),
    ("absent-invited-wait-ignored", "absent", hs.INVITED, "OPEN", False, False, True, (hs.CANCEL,)),
    ("absent-none", "absent", hs.NONE, None, False, False, False, ()),
    ("absent-none-declined", "absent", hs.NONE, "DECLINED", False, False, False, ()),
    ("absent-none-expired", "absent", hs.NONE, "EXPIRED", False, False, False, ()),
    ("absent-management-account", "absent", hs.MEMBER, None, True, False, False, (hs.REFUSE_MANAGEMENT,)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "membership", "handshake_state", "management", "credentials", "wait", "expected"),
    [case[1:] for case in PLAN_CASES],
    ids=[case[0] for case in PLAN_CASES],
)
def test_plan(state, membership, handshake_state, management, credentials, wait, expected):
    steps = hs.plan(state, membership, handshake_state, management, can_accept=credentials, wait=wait)
    assert steps == expected
    assert hs.changes(steps) == any(step != hs.WAIT and step != hs.REFUSE_MANAGEMENT for step in expected)


def handshake(state="REQUESTED", target_type="ACCOUNT", target=GLOBEX, requested=T0, handshake_id="h-1", **extra):
    found = {
        "Id": handshake_id,
        "Arn": f"arn:aws:organizations::123456789012:handshake/{ORG}/invite/{handshake_id}",
        "Parties": [{"Id": ORG, "Type": "ORGANIZATION"}, {"Id": target, "Type": target_type}],
        "State": state,
        "RequestedTimestamp": requested,
        "ExpirationTimestamp": requested.replace(day=requested.day + 15),
        "Action": "INVITE",
        "Resources": [
            {"Type": "ORGANIZATION", "Value": ORG, "Resources": [{"Type": "MASTER_EMAIL", "Value": "m@msp.example"}]},
            {"Type": target_type, "Value": target},
        ],
    }
    found.update(extra)
    return found


MEMBER_ACCOUNT = {
    "Id": GLOBEX,
    "Arn": f"arn:aws:organizations::123456789012:account/{ORG}/{GLOBEX}",
    "Name": "Globex",
    "Email": GLOBEX_EMAIL,
    "State": "ACTIVE",
    "JoinedMethod": "INVITED",
    "JoinedTimestamp": T1,
}

RELEVANT_CASES = [
    ("none-listed", [], GLOBEX, None, None),
    ("other-account-only", [handshake(target="310987654321")], GLOBEX, None, None),
    ("open-wins-over-newer-closed", [handshake(handshake_id="h-open"), handshake("DECLINED", requested=T1)], GLOBEX,
     None, "h-open"),
    ("latest-closed-when-none-open",
     [handshake("EXPIRED", handshake_id="h-old"), handshake("DECLINED", requested=T1, handshake_id="h-new")], GLOBEX,
     None, "h-new"),
    ("email-invitation-by-email", [handshake(target_type="EMAIL", target=GLOBEX_EMAIL)], None, GLOBEX_EMAIL.upper(),
     "h-1"),
    ("email-invitation-not-matched-by-id-alone", [handshake(target_type="EMAIL", target=GLOBEX_EMAIL)], GLOBEX, None,
     None),
    ("accepted-email-invitation-names-the-account", [handshake(
        "ACCEPTED", target_type="EMAIL", target=GLOBEX_EMAIL,
        Resources=[{"Type": "ORGANIZATION", "Value": ORG}, {"Type": "ACCOUNT", "Value": GLOBEX}])], GLOBEX, None,
     "h-1"),
    ("other-actions-ignored", [handshake(Action="ENABLE_ALL_FEATURES")], GLOBEX, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("handshakes", "account_id", "email", "expected"),
    [case[1:] for case in RELEVANT_CASES],
    ids=[case[0] for case in RELEVANT_CASES],
)
def test_relevant_handshake(handshakes, account_id, email, expected):
    found = hs.relevant_handshake(handshakes, account_id, email)
    assert (found["Id"] if found else None) == expected


LINK_CASES = [
    ("member", MEMBER_ACCOUNT, handshake("ACCEPTED"), hs.MEMBER, "INVITED"),
    ("invited", None, handshake(), hs.INVITED, None),
    ("declined-is-none", None, handshake("DECLINED"), hs.NONE, None),
    ("nothing", None, None, hs.NONE, None),
]


@pytest.mark.parametrize(
    ("account", "found", "membership", "joined_method"),
    [case[1:] for case in LINK_CASES],
    ids=[case[0] for case in LINK_CASES],
)
def test_link_of(account, found, membership, joined_method):
    link = hs.link_of(account, found, GLOBEX, None)
    assert (link["account_id"], link["membership"], link["joined_method"]) == (GLOBEX, membership, joined_method)
    if found:
        assert link["handshake"] == {
            "id": "h-1",
            "arn": found["Arn"],
            "state": found["State"],
            "requested_timestamp": "2024-05-02T10:00:00+00:00",
            "expiration_timestamp": "2024-05-17T10:00:00+00:00",
        }
    else:
        assert link["handshake"] is None


def test_link_of_an_email_invitation_without_a_known_account():
    link = hs.link_of(None, handshake(target_type="EMAIL", target=GLOBEX_EMAIL), None, GLOBEX_EMAIL)
    assert (link["account_id"], link["email"], link["membership"]) == (None, GLOBEX_EMAIL, hs.INVITED)


NEW_INVITATION = {"id": None, "arn": None, "state": "OPEN", "requested_timestamp": None,
                  "expiration_timestamp": None}  # fmt: skip
PREDICT_CASES = [
    ("invite", None, None, (hs.INVITE,), hs.INVITED, NEW_INVITATION, None),
    ("invite-replaces-declined", None, "DECLINED", (hs.INVITE,), hs.INVITED, NEW_INVITATION, None),
    ("invite-and-accept", None, None, (hs.INVITE, hs.ACCEPT), hs.MEMBER, dict(NEW_INVITATION, state="ACCEPTED"),
     "INVITED"),
    ("accept-open", None, "REQUESTED", (hs.ACCEPT,), hs.MEMBER, "ACCEPTED", "INVITED"),
    ("wait-is-not-predicted", None, "REQUESTED", (hs.WAIT,), hs.INVITED, "REQUESTED", None),
    ("cancel", None, "REQUESTED", (hs.CANCEL,), hs.NONE, "CANCELED", None),
    ("remove", MEMBER_ACCOUNT, "ACCEPTED", (hs.REMOVE,), hs.NONE, "ACCEPTED", None),
    ("nothing", MEMBER_ACCOUNT, "ACCEPTED", (), hs.MEMBER, "ACCEPTED", "INVITED"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("account", "state", "steps", "membership", "expected_handshake", "joined_method"),
    [case[1:] for case in PREDICT_CASES],
    ids=[case[0] for case in PREDICT_CASES],
)
def test_predict(account, state, steps, membership, expected_handshake, joined_method):
    before = hs.link_of(account, handshake(state) if state else None, GLOBEX, None)
    frozen = {key: (dict(value) if isinstance(value, dict) else value) for key, value in before.items()}
    after = hs.predict(before, steps)
    assert before == frozen, "predict must not change the link it is given"
    assert (after["membership"], after["joined_method"]) == (membership, joined_method)
    if isinstance(expected_handshake, dict):
        assert after["handshake"] == expected_handshake
    else:
        assert after["handshake"]["state"] == expected_handshake
        assert after["handshake"]["id"] == "h-1"


def test_diff_view_shows_membership_and_invitation_only():
    link = hs.link_of(None, handshake(), GLOBEX, None)
    assert hs.diff_view(link) == {
        "account_id": GLOBEX,
        "membership": hs.INVITED,
        "joined_method": None,
        "invitation": {"id": "h-1", "state": "REQUESTED"},
    }


def client_error(code, reason=None, operation="InviteAccountToOrganization"):
    response = {"Error": {"Code": code, "Message": f"{code} from AWS"}}
    if reason:
        response["Reason"] = reason
    return botocore.exceptions.ClientError(response, operation)


class FakeInviteClient:
    """Answers InviteAccountToOrganization from a script: an exception to raise, or a handshake to return."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def invite_account_to_organization(self, **params):
        self.calls.append(params)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"Handshake": answer}


class FakeReadClient:
    """ListHandshakesForOrganization through a paginator, answering the handshakes it is given."""

    def __init__(self, *listings):
        self.listings = list(listings)
        self.reads = 0

    def get_paginator(self, name):
        assert name == "list_handshakes_for_organization"
        return self

    def paginate(self, **params):
        assert params == {"Filter": {"ActionType": "INVITE"}}
        return self

    def build_full_result(self):
        self.reads += 1
        return {"Handshakes": self.listings.pop(0)}


SEND_CASES = [
    # id, invite answers, listings after a failure, expected (handshake id, created), invite calls, reads
    ("sent", [handshake(handshake_id="h-new")], [], ("h-new", True), 1, 0),
    ("duplicate-adopts-the-other-runs", [client_error("DuplicateHandshakeException")],
     [[handshake(handshake_id="h-other")]], ("h-other", False), 1, 1),
    ("throttled-then-sent", [client_error("TooManyRequestsException"), client_error("TooManyRequestsException"),
                             handshake(handshake_id="h-new")], [], ("h-new", True), 3, 0),
    ("ambiguous-finds-ours", [client_error("ServiceException")], [[handshake(handshake_id="h-ours")]],
     ("h-ours", True), 1, 1),
    ("ambiguous-finds-none-resends", [client_error("ServiceException"), handshake(handshake_id="h-new")], [[]],
     ("h-new", True), 2, 1),
    ("connection-lost-finds-ours", [botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")],
     [[handshake(handshake_id="h-ours")]], ("h-ours", True), 1, 1),
    ("ambiguous-ignores-closed", [client_error("ServiceException"), handshake(handshake_id="h-new")],
     [[handshake("DECLINED", handshake_id="h-old")]], ("h-new", True), 2, 1),
    # The lost answer's invitation was made but the list lagged, so it was sent again: the Duplicate is about
    # this run's own invitation, which must count as a change.
    ("duplicate-after-own-uncertain-attempt", [client_error("ServiceException"),
                                               client_error("DuplicateHandshakeException")],
     [[], [handshake(handshake_id="h-ours")]], ("h-ours", True), 2, 2),
    ("duplicate-listed-after-lag", [client_error("DuplicateHandshakeException")],
     [[], [], [handshake(handshake_id="h-other")]], ("h-other", False), 1, 3),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "listings", "expected", "invites", "reads"),
    [case[1:] for case in SEND_CASES],
    ids=[case[0] for case in SEND_CASES],
)
def test_send_invitation(answers, listings, expected, invites, reads):
    invite_client, read_client, pauses = FakeInviteClient(*answers), FakeReadClient(*listings), []
    found, created = hs.send_invitation(invite_client, read_client, GLOBEX, notes="hi", sleep=pauses.append)
    assert (found["Id"], created) == expected
    assert (len(invite_client.calls), read_client.reads) == (invites, reads)
    assert invite_client.calls[0] == {"Target": {"Type": "ACCOUNT", "Id": GLOBEX}, "Notes": "hi"}
    assert pauses[: invites - 1] == [1.0, 2.0][: invites - 1]


REFUSAL_CASES = [
    ("already-in-an-organization", "HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION",
     "already a member of another organization"),
    ("daily-limit", "HandshakeConstraintViolationException", "HANDSHAKE_RATE_LIMIT_EXCEEDED", "(20)"),
    ("account-quota", "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "account quota"),
    ("account-quota-as-constraint", "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "account quota"),
    ("unknown-reason", "HandshakeConstraintViolationException", "SOMETHING_NEW", "AWS refused to invite account"),
    ("access-denied", "AccessDeniedException", None, "AWS refused to invite account"),
    ("payment-instrument-names-no-account", "HandshakeConstraintViolationException", "PAYMENT_INSTRUMENT_REQUIRED",
     "it does not say which"),
    ("owner-not-verified", "AccountOwnerNotVerifiedException", None, "verified that you own the management account"),
    ("organization-finalizing", "FinalizingOrganizationException", None, "has not finished initializing"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "reason", "says"), [case[1:] for case in REFUSAL_CASES], ids=[case[0] for case in REFUSAL_CASES]
)
def test_send_invitation_refusals_are_not_retried(code, reason, says):
    invite_client = FakeInviteClient(client_error(code, reason))
    with pytest.raises(MspAwsError) as raised:
        hs.send_invitation(invite_client, FakeReadClient(), GLOBEX, sleep=pytest.fail)
    assert says in raised.value.message
    assert GLOBEX in raised.value.message
    assert len(invite_client.calls) == 1


def test_send_invitation_by_email_gives_up_after_its_attempts():
    """Throttled on every attempt: a bounded number of sends, then an error."""
    invite_client = FakeInviteClient(*[client_error("TooManyRequestsException")] * 3)
    pauses = []
    with pytest.raises(MspAwsError, match="in 3 attempts"):
        hs.send_invitation(invite_client, FakeReadClient(), email=GLOBEX_EMAIL, attempts=3, sleep=pauses.append)
    assert invite_client.calls[0]["Target"] == {"Type": "EMAIL", "Id": GLOBEX_EMAIL}
    assert pauses == [1.0, 2.0]


def test_a_duplicate_the_list_does_not_explain_is_not_resent():
    """The open invitation was addressed by email, the run knows only the id: after a few bounded re-reads
    (the list may lag), say so rather than send again."""
    invite_client = FakeInviteClient(client_error("DuplicateHandshakeException"))
    listing = [handshake(target_type="EMAIL", target=GLOBEX_EMAIL)]
    read_client, pauses = FakeReadClient(*[listing] * 4), []
    with pytest.raises(MspAwsError, match="Give both account_id and email"):
        hs.send_invitation(invite_client, read_client, GLOBEX, sleep=pauses.append)
    assert len(invite_client.calls) == 1
    assert (read_client.reads, pauses) == (4, list(hs.DUPLICATE_REREAD_DELAYS))


class FakeMemberOrganizations:
    def __init__(self, *answers):
        self.answers = list(answers)

    def describe_organization(self):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"Organization": {"Id": answer}}


class FakeMember:
    def __init__(self, *answers):
        self.organizations = FakeMemberOrganizations(*answers)

    def client(self, service):
        assert service == "organizations"
        return self.organizations


NOT_IN_USE = client_error("AWSOrganizationsNotInUseException", operation="DescribeOrganization")


@pytest.mark.parametrize(
    ("answers", "outcome", "pauses"),
    [
        ([ORG], None, []),
        ([NOT_IN_USE, NOT_IN_USE, ORG], None, [1.0, 1.0]),
        (["o-someoneelse"], "sees organization o-someoneelse", []),
        ([NOT_IN_USE] * 3, "sees organization none", [1.0, 1.0]),
    ],
    ids=["joined", "joined-after-settling", "another-organization", "never-joined"],
)
def test_verify_membership(answers, outcome, pauses):
    slept = []
    if outcome is None:
        assert hs.verify_membership(FakeMember(*answers), ORG, attempts=3, sleep=slept.append) == ORG
    else:
        with pytest.raises(MspAwsError, match=outcome):
            hs.verify_membership(FakeMember(*answers), ORG, attempts=3, sleep=slept.append)
    assert slept == pauses


class FakeDescribeClient:
    def __init__(self, states):
        self.states = list(states)

    def describe_handshake(self, HandshakeId, aws_retry):
        return {"Handshake": handshake(self.states.pop(0), handshake_id=HandshakeId)}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    ("states", "timeout", "final", "slept"),
    [
        (["REQUESTED", "REQUESTED", "ACCEPTED"], 60, "ACCEPTED", 10.0),
        (["REQUESTED", "DECLINED"], 60, "DECLINED", 5.0),
        (["OPEN", "OPEN", "OPEN"], 7, "OPEN", 7.0),
        (["ACCEPTED"], 0, "ACCEPTED", 0.0),
    ],
    ids=["accepted-while-waiting", "declined-while-waiting", "times-out-still-open", "already-answered"],
)
def test_wait_for_answer(states, timeout, final, slept):
    clock = FakeClock()
    found = hs.wait_for_answer(FakeDescribeClient(states), "h-1", timeout, 5.0, sleep=clock.sleep, clock=clock)
    assert (found["State"], clock.now) == (final, slept)


@pytest.mark.parametrize("given", [None, GLOBEX_EMAIL], ids=["no-email-given", "email-given"])
def test_a_removed_accounts_link_keeps_only_the_email_given(given):
    """A second run no longer finds the account in the organization, so it only knows the email it was given."""
    before = hs.link_of(MEMBER_ACCOUNT, handshake("ACCEPTED"), GLOBEX, given)
    assert before["email"] == GLOBEX_EMAIL
    assert hs.predict(before, (hs.REMOVE,), given)["email"] == given
    assert hs.link_of(None, handshake("ACCEPTED"), GLOBEX, given)["email"] == given


# --- cancelling, accepting, the client's side ------------------------------------------------------------


class FakeCancelClient:
    """CancelHandshake answering with a handshake or raising; DescribeHandshake answering ``described``."""

    def __init__(self, answer, described="ACCEPTED", describe_error=None):
        self.answer = answer
        self.described = described
        self.describe_error = describe_error

    def cancel_handshake(self, HandshakeId, aws_retry):
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Handshake": handshake(self.answer, handshake_id=HandshakeId)}

    def describe_handshake(self, HandshakeId, aws_retry):
        if self.describe_error:
            raise self.describe_error
        return {"Handshake": handshake(self.described, handshake_id=HandshakeId)}


CANCEL_CASES = [
    ("cancelled", FakeCancelClient("CANCELED"), ("CANCELED", True)),
    # The client accepted while the cancellation was on its way: nothing written, and the caller sees ACCEPTED.
    ("accepted-meanwhile", FakeCancelClient(client_error("InvalidHandshakeTransitionException",
                                                         operation="CancelHandshake")), ("ACCEPTED", False)),
    ("cancelled-by-another-run", FakeCancelClient(client_error("HandshakeAlreadyInStateException",
                                                               operation="CancelHandshake"), "CANCELED"),
     ("CANCELED", False)),
]  # fmt: skip


@pytest.mark.parametrize(("fake", "expected"), [case[1:] for case in CANCEL_CASES], ids=[c[0] for c in CANCEL_CASES])
def test_cancel_invitation(fake, expected):
    found, cancelled = hs.cancel_invitation(fake, "h-1")
    assert (found["State"], cancelled) == expected


def test_cancel_invitation_refused_otherwise_is_an_error():
    fake = FakeCancelClient(client_error("AccessDeniedException", operation="CancelHandshake"))
    with pytest.raises(MspAwsError, match="Failed to cancel invitation h-1"):
        hs.cancel_invitation(fake, "h-1")


class FakeAcceptOrganizations:
    def __init__(self, answer, describe_error=None):
        self.answer = answer
        self.describe_error = describe_error

    def accept_handshake(self, HandshakeId):
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Handshake": handshake("ACCEPTED", handshake_id=HandshakeId)}

    def describe_handshake(self, HandshakeId):
        if self.describe_error:
            raise self.describe_error
        return {"Handshake": handshake("ACCEPTED", handshake_id=HandshakeId)}


class FakeAcceptMember:
    def __init__(self, organizations):
        self.organizations = organizations

    def client(self, service):
        assert service == "organizations"
        return self.organizations


def accept_error(code, reason=None):
    return client_error(code, reason, operation="AcceptHandshake")


def test_accept_invitation_accepts():
    found, accepted = hs.accept_invitation(FakeAcceptMember(FakeAcceptOrganizations(None)), "h-1", "account x")
    assert (found["State"], accepted) == ("ACCEPTED", True)


def test_accept_invitation_already_accepted_is_no_write():
    member = FakeAcceptMember(FakeAcceptOrganizations(accept_error("HandshakeAlreadyInStateException")))
    found, accepted = hs.accept_invitation(member, "h-1", "account x")
    assert (found["State"], accepted) == ("ACCEPTED", False)


def test_accept_invitation_already_accepted_but_not_describable_is_a_clear_error():
    member = FakeAcceptMember(
        FakeAcceptOrganizations(
            accept_error("HandshakeAlreadyInStateException"),
            describe_error=client_error("AccessDeniedException", operation="DescribeHandshake"),
        )
    )
    with pytest.raises(MspAwsError, match=r"already answered.*AccessDeniedException.*left open"):
        hs.accept_invitation(member, "h-1", "account x")


ACCEPT_ERROR_CASES = [
    ("access-denied", "AccessDeniedException", None, ["organizations:AcceptHandshake", "left open"]),
    ("bad-credentials", "InvalidClientTokenId", None, ["does not accept the client's credentials", "left open"]),
    ("not-found", "HandshakeNotFoundException", None, ["cannot see invitation h-1", "another account"]),
    ("closed", "InvalidHandshakeTransitionException", None, ["was closed", "send a new one"]),
    ("joined-another-organization", "HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION",
     ["refused to let account x accept invitation h-1", "joined another organization", "left open"]),
    ("payment-instrument", "HandshakeConstraintViolationException", "PAYMENT_INSTRUMENT_REQUIRED",
     ["accept invitation h-1", "it does not say which"]),
    ("quota", "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
     ["accept invitation h-1", "account quota"]),
    ("unknown-reason", "HandshakeConstraintViolationException", "SOMETHING_NEW",
     ["refused to let account x accept invitation h-1 (SOMETHING_NEW)"]),
    ("other", "ServiceException", None, ["Failed to accept invitation h-1 as account x", "left open"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "reason", "says"), [case[1:] for case in ACCEPT_ERROR_CASES], ids=[c[0] for c in ACCEPT_ERROR_CASES]
)
def test_accept_invitation_errors(code, reason, says):
    member = FakeAcceptMember(FakeAcceptOrganizations(accept_error(code, reason)))
    with pytest.raises(MspAwsError) as raised:
        hs.accept_invitation(member, "h-1", "account x")
    for fragment in says:
        assert fragment in raised.value.message
    assert "refused to invite" not in raised.value.message


class RecordingClients:
    """Stands for AnsibleAWSModule.client: records each client asked for, answers STS for AssumeRole."""

    def __init__(self, assume_error=None):
        self.made = []
        self.assume_error = assume_error
        self.assumed = []

    def __call__(self, service, **params):
        self.made.append((service, {k: v for k, v in params.items() if k != "config"}))
        assert "config" in params
        return self

    def assume_role(self, **params):
        self.assumed.append(params)
        if self.assume_error:
            raise self.assume_error
        return {"Credentials": {"AccessKeyId": "ASIAROLE", "SecretAccessKey": "role-secret", "SessionToken": "tok"}}


KEYS = {"profile_name": None, "aws_access_key_id": "AKIACLIENT", "aws_secret_access_key": "secret",
        "aws_session_token": None}  # fmt: skip
ROLE_KEYS = {"profile_name": None, "aws_access_key_id": "ASIAROLE", "aws_secret_access_key": "role-secret",
             "aws_session_token": "tok"}  # fmt: skip
ROLE = "arn:aws:iam::210987654321:role/msp-onboarding"


def test_member_side_with_keys_builds_clients_through_the_modules_client():
    clients = RecordingClients()
    member = hs.member_side({"access_key": "AKIACLIENT", "secret_key": "secret"}, clients, None)
    member.client("organizations")
    assert clients.made == [("organizations", KEYS)]


def test_member_side_with_a_profile_uses_the_profile_not_the_modules_keys():
    clients = RecordingClients()
    member = hs.member_side({"profile": "client"}, clients, None, profiles=lambda: ["default", "client"])
    member.client("sts")
    assert clients.made == [
        ("sts", {"profile_name": "client", "aws_access_key_id": None, "aws_secret_access_key": None,
                 "aws_session_token": None}),
    ]  # fmt: skip


def test_member_side_with_an_unknown_profile_fails_clearly():
    with pytest.raises(MspAwsError, match=r"member_credentials\.profile: there is no profile 'nope'"):
        hs.member_side({"profile": "nope"}, RecordingClients(), None, profiles=lambda: ["default"])


def test_member_side_assumes_the_role_with_the_keys_given():
    clients = RecordingClients()
    credentials = {"access_key": "AKIACLIENT", "secret_key": "secret", "role_arn": ROLE, "external_id": "x-1"}
    member = hs.member_side(credentials, clients, default_sts_client=None)
    member.client("organizations")
    assert clients.made == [("sts", KEYS), ("organizations", ROLE_KEYS)]
    assert clients.assumed[0]["RoleArn"] == ROLE and clients.assumed[0]["ExternalId"] == "x-1"


def test_member_side_assumes_the_role_with_the_modules_credentials_when_only_a_role_is_given():
    clients, default_sts = RecordingClients(), RecordingClients()
    member = hs.member_side({"role_arn": ROLE}, clients, default_sts)
    member.client("organizations")
    assert default_sts.assumed and clients.assumed == []
    assert clients.made == [("organizations", ROLE_KEYS)]


def test_member_side_role_refused_is_a_clear_error_tried_once():
    clients = RecordingClients(assume_error=client_error("AccessDenied", operation="AssumeRole"))
    with pytest.raises(MspAwsError, match=r"member_credentials\.role_arn: AWS refused.*AccessDenied.*external_id"):
        hs.member_side({"role_arn": ROLE}, None, clients)
    assert len(clients.assumed) == 1


def test_read_until_found():
    answers, pauses = [None, None, {"Id": GLOBEX}], []
    assert hs.read_until_found(lambda: answers.pop(0), attempts=5, sleep=pauses.append) == {"Id": GLOBEX}
    assert pauses == [1.0, 1.0]
    assert hs.read_until_found(lambda: None, attempts=3, sleep=pauses.append) is None


def test_accepted_link_is_a_member_even_before_describe_account_shows_it():
    accepted = handshake(
        "ACCEPTED",
        target_type="EMAIL",
        target=GLOBEX_EMAIL,
        Resources=[{"Type": "ORGANIZATION", "Value": ORG}, {"Type": "ACCOUNT", "Value": GLOBEX}],
    )
    link = hs.accepted_link(accepted, None, GLOBEX_EMAIL)
    assert (link["account_id"], link["membership"], link["joined_method"]) == (GLOBEX, hs.MEMBER, "INVITED")


@pytest.mark.parametrize(
    ("state", "says"),
    [("OPEN", ["did not accept invitation h-1 within 30 s", "2024-05-17T10:00:00+00:00"]), ("DECLINED", ["DECLINED"])],
    ids=["still-open", "declined"],
)
def test_unanswered_message(state, says):
    message = hs.unanswered_message(handshake(state), 30)
    assert all(fragment in message for fragment in says), message
