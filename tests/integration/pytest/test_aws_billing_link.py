"""aws_billing_link against the sandbox: acceptance with the client's credentials and in the console while the
module waits, racing runs, throttling, lost answers, AWS's refusals, bad input that writes nothing, and the API
calls of a no-op run."""

import json
import subprocess
import time
from datetime import timedelta

import pytest
from conftest import module_command, module_env, parse_result, writes_since

MODULE = "aws_billing_link"
MANAGEMENT = "123456789012"
NO_OP_MEMBER = {
    "organizations:DescribeOrganization": 1,
    "organizations:DescribeAccount": 1,
    "organizations:ListHandshakesForOrganization": 1,
}
NO_OP_PENDING = NO_OP_MEMBER  # the same three reads: the pending invitation is found in the same listing
FAST_WAIT = {"wait_interval": 0.2}


# --- helpers -------------------------------------------------------------------------------------------


def client(world, key="globex"):
    return world["clients"][key]


def member_keys(world, key="globex"):
    credentials = client(world, key)["credentials"]
    return {"access_key": credentials["aws_access_key_id"], "secret_key": credentials["aws_secret_access_key"]}


def invitations(aws, account_id=None):
    """The organization's invitations (optionally those for one account), oldest first."""
    listed = aws.management("organizations").list_handshakes_for_organization()["Handshakes"]
    return [h for h in listed if account_id is None or {"Id": account_id, "Type": "ACCOUNT"} in h["Parties"]]


def member_ids(aws):
    return {a["Id"] for a in aws.management("organizations").list_accounts()["Accounts"]}


def calls_by_action(sandbox, mark):
    return sandbox.call_summary(since=mark)["by_action"]


def assert_failed(result, *fragments):
    assert result.failed, result
    for fragment in fragments:
        assert fragment in result["msg"], result["msg"]


def invite_and_accept(aws, world, key="globex"):
    """Make the client a member the way a client would: invited by the MSP, accepted in their console."""
    org = aws.management("organizations")
    account_id = client(world, key)["account_id"]
    handshake = org.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": account_id})["Handshake"]
    aws.client_account(key, "organizations").accept_handshake(HandshakeId=handshake["Id"])
    return account_id


def received_invitations(aws, key="globex", timeout=30):
    """The invitations the client's console lists, once the module has sent one (or [] after ``timeout``)."""
    console = aws.client_account(key, "organizations")
    deadline = time.monotonic() + timeout
    received = []
    while not received and time.monotonic() < deadline:
        received = console.list_handshakes_for_account()["Handshakes"]
        time.sleep(0.1)
    return received


def wait_until_fired(sandbox, action, timeout=30):
    """Until the sandbox has picked up the fault rule on ``action`` (the call is being held by its latency)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(rule["action"] == action and rule["fired"] for rule in sandbox.faults()):
            return
        time.sleep(0.05)
    raise AssertionError(f"the module never called {action}")


def without_volatile(link):
    """A link without what only AWS can say before the run (ids, timestamps, a new member's root email), to
    compare check mode's prediction with the run."""
    handshake = link["handshake"] and {"state": link["handshake"]["state"]}
    return dict(link, handshake=handshake, joined_timestamp=None, email=None)


# --- invitations ---------------------------------------------------------------------------------------


def test_invite_check_mode_predicts_the_run_and_a_second_run_is_a_no_op(run_module, aws, world, sandbox):
    account_id = client(world)["account_id"]
    mark = sandbox.mark()
    predicted = run_module(MODULE, check_mode=True, account_id=account_id, notes="Welcome")
    assert predicted.changed and not predicted.failed, predicted
    assert writes_since(sandbox, mark) == []
    assert invitations(aws) == []

    done = run_module(MODULE, account_id=account_id, notes="Welcome")
    assert done.changed and not done.failed, done
    link = done["link"]
    assert (link["account_id"], link["membership"], link["joined_method"]) == (account_id, "invited", None)
    [sent] = invitations(aws)
    assert link["handshake"]["id"] == sent["Id"] and link["handshake"]["state"] == "OPEN"
    assert link["handshake"]["expiration_timestamp"] > link["handshake"]["requested_timestamp"]
    assert {"Type": "NOTES", "Value": "Welcome"} in sent["Resources"]
    assert without_volatile(predicted["link"]) == without_volatile(link)
    assert done["diff"] == {
        "before": {"account_id": account_id, "membership": "none", "joined_method": None, "invitation": None},
        "after": {
            "account_id": account_id,
            "membership": "invited",
            "joined_method": None,
            "invitation": {"id": sent["Id"], "state": "OPEN"},
        },
    }

    mark = sandbox.mark()
    again = run_module(MODULE, account_id=account_id, notes="Welcome")
    assert not again.changed and not again.failed, again
    assert again["link"] == link
    assert writes_since(sandbox, mark) == []
    assert calls_by_action(sandbox, mark) == NO_OP_PENDING
    assert len(invitations(aws)) == 1


def test_invite_and_accept_with_the_clients_keys(run_module, aws, world, sandbox):
    globex = client(world)
    args = {"account_id": globex["account_id"], "member_credentials": member_keys(world)}
    predicted = run_module(MODULE, check_mode=True, **args)
    assert predicted.changed and predicted["link"]["membership"] == "member", predicted
    assert invitations(aws) == []

    done = run_module(MODULE, **args)
    assert done.changed and not done.failed, done
    link = done["link"]
    assert (link["membership"], link["joined_method"], link["email"]) == ("member", "INVITED", globex["email"])
    assert link["handshake"]["state"] == "ACCEPTED" and link["joined_timestamp"]
    assert without_volatile(predicted["link"]) == without_volatile(link)
    assert globex["account_id"] in member_ids(aws)
    described = aws.client_account("globex", "organizations").describe_organization()["Organization"]
    assert described["Id"] == world["organization"]["id"]
    # As in AWS, an invited account gets no access role: the collection needs another way in.
    roles = {r["RoleName"] for r in aws.client_account("globex", "iam").list_roles()["Roles"]}
    assert "OrganizationAccountAccessRole" not in roles

    mark = sandbox.mark()
    again = run_module(MODULE, **args)
    assert not again.changed and not again.failed, again
    assert again["link"]["membership"] == "member"
    assert calls_by_action(sandbox, mark) == NO_OP_MEMBER  # member: the client's credentials are not even used


def test_invite_by_email_and_accept_through_a_role_the_client_created(run_module, aws, world):
    umbrella = client(world, "umbrella")
    iam = aws.client_account("umbrella", "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "umbrella-7f3a"}},
            }
        ],
    }
    role = iam.create_role(RoleName="msp-onboarding", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.attach_role_policy(RoleName="msp-onboarding", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    wrong_id = run_module(
        MODULE, email=umbrella["email"], member_credentials={"role_arn": role["Arn"], "external_id": "guess"}
    )
    assert_failed(wrong_id, "member_credentials.role_arn", role["Arn"], "external_id")
    assert invitations(aws) == []  # refused before anything was written

    done = run_module(
        MODULE, email=umbrella["email"], member_credentials={"role_arn": role["Arn"], "external_id": "umbrella-7f3a"}
    )
    assert done.changed and not done.failed, done
    assert (done["link"]["account_id"], done["link"]["membership"]) == (umbrella["account_id"], "member")
    [sent] = aws.management("organizations").list_handshakes_for_organization()["Handshakes"]
    assert {"Id": umbrella["email"], "Type": "EMAIL"} in sent["Parties"]


def test_waits_for_the_client_to_accept_in_the_console(run_module, aws, world, sandbox):
    """Four steps: check mode shows a change, a run invites and waits while the client accepts in their
    console, then check mode and a run show none."""
    globex = client(world)
    args = {"account_id": globex["account_id"], "wait": True, "wait_timeout": 60, **FAST_WAIT}
    mark = sandbox.mark()
    predicted = run_module(MODULE, check_mode=True, **args)
    assert predicted.changed and not predicted.failed, predicted
    assert predicted["link"]["membership"] == "invited"  # whether the client will answer is not knowable
    assert writes_since(sandbox, mark) == [] and invitations(aws) == []

    started = run_module.start(MODULE, **args)
    received = received_invitations(aws)
    assert received, "the module never sent the invitation"
    time.sleep(0.5)  # the module is polling by now
    assert started.poll() is None, "the module stopped before the client answered"
    aws.client_account("globex", "organizations").accept_handshake(HandshakeId=received[0]["Id"])
    done = run_module.finish(started, timeout=60)
    assert done.changed and not done.failed, done
    assert (done["link"]["membership"], done["link"]["joined_method"]) == ("member", "INVITED")
    assert done["link"]["handshake"]["id"] == received[0]["Id"]
    assert done["diff"]["before"]["membership"] == "none" and done["diff"]["after"]["membership"] == "member"

    checked = run_module(MODULE, check_mode=True, **args)
    assert not checked.changed and not checked.failed, checked
    mark = sandbox.mark()
    again = run_module(MODULE, **args)
    assert not again.changed and not again.failed, again
    assert again["link"]["membership"] == "member"
    assert calls_by_action(sandbox, mark) == NO_OP_MEMBER


def test_a_wait_only_run_that_sees_the_client_accept_reports_no_change(run_module, aws, world, sandbox):
    """The invitation was open already: the acceptance is the client's write, not the run's."""
    globex = client(world)
    pending = run_module(MODULE, account_id=globex["account_id"])
    assert pending.changed and pending["link"]["membership"] == "invited", pending
    mark = sandbox.mark()
    # The client answers once the module is waiting (its first DescribeHandshake), not after a fixed sleep: under
    # load the module's start-up alone can outlast any sleep, and it would then read the account as a member.
    sandbox.add_fault(service="organizations", action="DescribeHandshake", latency_ms=1, count=1)
    started = run_module.start(MODULE, account_id=globex["account_id"], wait=True, wait_timeout=60, **FAST_WAIT)
    wait_until_fired(sandbox, "DescribeHandshake", timeout=120)
    assert started.poll() is None, "the module stopped before the client answered"
    aws.client_account("globex", "organizations").accept_handshake(HandshakeId=pending["link"]["handshake"]["id"])
    done = run_module.finish(started, timeout=60)
    assert not done.changed and not done.failed, done
    assert done["diff"]["before"]["membership"] == "invited" and done["diff"]["after"]["membership"] == "member"
    assert [c["action"] for c in writes_since(sandbox, mark)] == ["AcceptHandshake"]  # the client's own


@pytest.mark.parametrize("answer", ["decline", "none"], ids=["client-declines", "client-never-answers"])
def test_a_wait_that_ends_without_acceptance_fails_and_reports_the_invitation(run_module, aws, world, answer):
    globex = client(world)
    started = run_module.start(MODULE, account_id=globex["account_id"], wait=True, wait_timeout=3, **FAST_WAIT)
    if answer == "decline":
        console = aws.client_account("globex", "organizations")
        deadline = time.monotonic() + 30
        while not console.list_handshakes_for_account()["Handshakes"] and time.monotonic() < deadline:
            time.sleep(0.1)
        console.decline_handshake(HandshakeId=console.list_handshakes_for_account()["Handshakes"][0]["Id"])
    done = run_module.finish(started, timeout=60)
    [sent] = invitations(aws)
    if answer == "decline":
        assert_failed(done, sent["Id"], "DECLINED", "new invitation")
        assert done["link"]["membership"] == "none"
    else:
        assert_failed(done, sent["Id"], "did not accept", "within 3 s")
        assert done["link"]["membership"] == "invited" and sent["State"] == "OPEN"
    assert done.changed and done["link"]["handshake"]["id"] == sent["Id"]


# --- races, throttling, lost answers ------------------------------------------------------------------


def test_two_runs_inviting_at_once_leave_one_invitation_and_neither_fails(run_module, aws, world, sandbox):
    globex = client(world)
    # Hold the first invitation to arrive for 3 s, so the other run reads "no invitation" and invites too.
    sandbox.add_fault(service="organizations", action="InviteAccountToOrganization", latency_ms=3000, count=1)
    mark = sandbox.mark()
    first = run_module.start(MODULE, account_id=globex["account_id"])
    second = run_module.start(MODULE, account_id=globex["account_id"])
    results = [run_module.finish(first, timeout=60), run_module.finish(second, timeout=60)]

    assert [r.failed for r in results] == [False, False], results
    [sent] = invitations(aws)
    assert {r["link"]["handshake"]["id"] for r in results} == {sent["Id"]}
    assert sorted(r.changed for r in results) == [False, True]  # only the run whose invitation AWS kept changed
    sends = [c for c in sandbox.calls(since=mark)["calls"] if c["action"] == "InviteAccountToOrganization"]
    assert sorted(c["error_code"] or "sent" for c in sends) == ["DuplicateHandshakeException", "sent"]


def test_throttling_is_survived(run_module, aws, world, sandbox):
    globex = client(world)
    for action, count in (
        ("DescribeOrganization", 2),
        ("ListHandshakesForOrganization", 2),
        ("InviteAccountToOrganization", 2),
        ("AcceptHandshake", 1),
    ):
        sandbox.add_fault(service="organizations", action=action, error_code="TooManyRequestsException", count=count)
    mark = sandbox.mark()
    done = run_module(MODULE, account_id=globex["account_id"], member_credentials=member_keys(world))
    assert done.changed and not done.failed, done
    assert done["link"]["membership"] == "member"
    assert len(invitations(aws)) == 1
    throttled = [c for c in sandbox.calls(since=mark)["calls"] if c["error_code"] == "TooManyRequestsException"]
    assert len(throttled) == 7 and all(c["injected"] for c in throttled)


def test_a_lost_invitation_answer_is_not_sent_again(run_module, aws, world, sandbox):
    """AWS makes the invitation, the answer never arrives: the run finds it instead of sending a second."""
    globex = client(world)
    sandbox.add_fault(
        service="organizations", action="InviteAccountToOrganization", drop_connection=True, when="after", count=1
    )
    mark = sandbox.mark()
    done = run_module(MODULE, account_id=globex["account_id"])
    assert done.changed and not done.failed, done
    [sent] = invitations(aws)
    assert done["link"]["handshake"]["id"] == sent["Id"]
    assert calls_by_action(sandbox, mark)["organizations:InviteAccountToOrganization"] == 1


# --- the client's credentials --------------------------------------------------------------------------


def test_credentials_of_another_account_fail_before_inviting(run_module, world, sandbox):
    globex = client(world)
    mark = sandbox.mark()
    done = run_module(MODULE, account_id=globex["account_id"], member_credentials=member_keys(world, "initech"))
    assert_failed(done, "those of account 310987654321", globex["account_id"])
    assert writes_since(sandbox, mark) == []
    assert done["link"]["membership"] == "none" and not done.changed


def test_wrong_credentials_leave_the_open_invitation_and_report_it(run_module, aws, world, sandbox):
    globex = client(world)
    pending = run_module(MODULE, account_id=globex["account_id"])
    assert pending.changed and not pending.failed, pending
    # Keys AWS does not know: the sandbox answers as AWS does for them.
    sandbox.add_fault(service="sts", action="GetCallerIdentity", error_code="InvalidClientTokenId", status=403)
    bogus = {"access_key": "AKIAEXAMPLEWRONGKEY1", "secret_key": "not-the-secret"}
    done = run_module(MODULE, account_id=globex["account_id"], member_credentials=bogus)
    assert_failed(done, "member_credentials", "InvalidClientTokenId")
    assert "not-the-secret" not in json.dumps(done)
    assert done["link"] == pending["link"]
    assert done["link"]["membership"] == "invited" and not done.changed
    assert [h["State"] for h in invitations(aws)] == ["OPEN"]


def test_credentials_lacking_permission_leave_the_invitation_open_and_report_it(run_module, aws, world, sandbox):
    globex = client(world)
    sandbox.add_fault(
        service="organizations",
        action="AcceptHandshake",
        account=globex["account_id"],
        error_code="AccessDeniedException",
        message="User: arn:aws:iam::210987654321:user/client-admin is not authorized to perform: "
        "organizations:AcceptHandshake",
        count=5,
    )
    done = run_module(MODULE, account_id=globex["account_id"], member_credentials=member_keys(world))
    [sent] = invitations(aws)
    assert_failed(done, "organizations:AcceptHandshake", f"Invitation {sent['Id']} is left open")
    assert done.changed  # the invitation was sent
    assert done["link"]["membership"] == "invited" and done["link"]["handshake"]["id"] == sent["Id"]
    assert sent["State"] == "OPEN" and globex["account_id"] not in member_ids(aws)


def test_invite_and_accept_with_a_profile_of_the_clients_credentials(run_module, aws, world, sandbox, tmp_path):
    """member_credentials.profile, read from the credentials file boto3 is pointed at (the runner gives the
    modules /dev/null; this test gives them a file of its own). Four steps."""
    globex = client(world)
    keys = globex["credentials"]
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        f"[globex-admin]\naws_access_key_id = {keys['aws_access_key_id']}\n"
        f"aws_secret_access_key = {keys['aws_secret_access_key']}\n"
    )

    def run(check_mode=False, **args):
        args_file = run_module._args_file(MODULE, args, check_mode, True, None)  # pylint: disable=protected-access
        env = dict(module_env(), AWS_SHARED_CREDENTIALS_FILE=str(credentials_file))
        proc = subprocess.run(
            module_command(MODULE, args_file), capture_output=True, text=True, env=env, timeout=120, check=False
        )
        return parse_result(proc.stdout, proc.returncode, proc.stderr)

    mark = sandbox.mark()
    unknown = run(account_id=globex["account_id"], member_credentials={"profile": "nobody"})
    assert_failed(unknown, "member_credentials.profile", "'nobody'")
    assert writes_since(sandbox, mark) == []

    args = {"account_id": globex["account_id"], "member_credentials": {"profile": "globex-admin"}}
    predicted = run(check_mode=True, **args)
    assert predicted.changed and predicted["link"]["membership"] == "member", predicted
    assert writes_since(sandbox, mark) == []
    done = run(**args)
    assert done.changed and not done.failed, done
    assert (done["link"]["membership"], done["link"]["handshake"]["state"]) == ("member", "ACCEPTED")
    assert globex["account_id"] in member_ids(aws)
    checked = run(check_mode=True, **args)
    assert not checked.changed and not checked.failed, checked
    again = run(**args)
    assert not again.changed and not again.failed, again


def test_email_only_with_credentials_of_a_member_account_fails_before_inviting(run_module, aws, world, sandbox):
    """Only the email is given, so the credentials' account cannot be compared with the target's id; one that
    is already in the organization is certainly not the account to invite."""
    invite_and_accept(aws, world, "umbrella")
    mark = sandbox.mark()
    done = run_module(MODULE, email=client(world)["email"], member_credentials=member_keys(world, "umbrella"))
    assert_failed(done, f"those of account {client(world, 'umbrella')['account_id']}", "already in the organization")
    assert writes_since(sandbox, mark) == [] and not done.changed
    assert invitations(aws, client(world)["account_id"]) == []


def test_email_only_with_another_standalone_accounts_credentials_leaves_the_invitation_reported(run_module, aws, world):
    """The documented limit: a standalone account's credentials cannot be told from the target's before
    inviting, so the invitation is sent, the acceptance fails clearly, and the run reports what it left."""
    globex = client(world)
    done = run_module(MODULE, email=globex["email"], member_credentials=member_keys(world, "initech"))
    [sent] = aws.management("organizations").list_handshakes_for_organization()["Handshakes"]
    assert_failed(done, "account 310987654321 cannot see invitation", "left open")
    assert done.changed and done["link"]["membership"] == "invited" and done["link"]["handshake"]["id"] == sent["Id"]


# --- AWS's refusals to invite --------------------------------------------------------------------------


def test_account_in_another_organization(run_module, aws, world):
    initech = client(world, "initech")
    aws.client_account("initech", "organizations").create_organization(FeatureSet="ALL")
    done = run_module(MODULE, account_id=initech["account_id"])
    assert_failed(done, "ALREADY_IN_AN_ORGANIZATION", "must leave that organization first")
    assert invitations(aws) == [] and not done.changed


def test_daily_invitation_limit(run_module, aws, world, sandbox):
    sandbox.configure(handshake_daily_limit=1)
    org = aws.management("organizations")
    org.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": client(world, "umbrella")["account_id"]})
    done = run_module(MODULE, account_id=client(world)["account_id"])
    assert_failed(done, "HANDSHAKE_RATE_LIMIT_EXCEEDED", "24 hours", "no invitation was sent")
    assert len(invitations(aws)) == 1


def test_account_quota(run_module, aws, world, sandbox):
    sandbox.configure(organization_account_quota=1)
    done = run_module(MODULE, account_id=client(world)["account_id"])
    assert_failed(done, "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "account quota", "Cancel invitations")
    assert invitations(aws) == []


# --- removal -------------------------------------------------------------------------------------------


def test_remove_and_cancel(run_module, aws, world, sandbox):
    member = invite_and_accept(aws, world, "globex")
    pending = run_module(MODULE, account_id=client(world, "initech")["account_id"])
    assert pending["link"]["membership"] == "invited"

    removed = run_module(MODULE, account_id=member, state="absent")
    assert removed.changed and not removed.failed, removed
    assert removed["link"]["membership"] == "none" and member not in member_ids(aws)
    assert removed["diff"]["before"]["membership"] == "member"

    cancelled = run_module(MODULE, account_id=client(world, "initech")["account_id"], state="absent")
    assert cancelled.changed and not cancelled.failed, cancelled
    assert cancelled["link"]["handshake"]["state"] == "CANCELED"
    assert [h["State"] for h in invitations(aws, client(world, "initech")["account_id"])] == ["CANCELED"]

    mark = sandbox.mark()
    for account_id in (member, client(world, "initech")["account_id"]):
        again = run_module(MODULE, account_id=account_id, state="absent")
        assert not again.changed and not again.failed, again
    assert writes_since(sandbox, mark) == []


def test_absent_removes_an_account_that_accepts_while_its_invitation_is_being_cancelled(
    run_module, aws, world, sandbox
):
    """The client accepts while CancelHandshake is held in flight: AWS refuses the cancellation, the account is
    a member now, and state=absent must take it out rather than report success with the account still in."""
    globex = client(world)
    pending = run_module(MODULE, account_id=globex["account_id"])
    handshake_id = pending["link"]["handshake"]["id"]
    # Held long enough for the client's answer to land first even on a loaded machine (3 s did not, at load 18).
    sandbox.add_fault(service="organizations", action="CancelHandshake", latency_ms=10000, count=1)
    mark = sandbox.mark()
    started = run_module.start(MODULE, account_id=globex["account_id"], state="absent")
    wait_until_fired(sandbox, "CancelHandshake")
    aws.client_account("globex", "organizations").accept_handshake(HandshakeId=handshake_id)
    done = run_module.finish(started, timeout=60)

    assert done.changed and not done.failed, done
    assert globex["account_id"] not in member_ids(aws)
    assert (done["link"]["membership"], done["link"]["handshake"]["state"]) == ("none", "ACCEPTED")
    management_writes = [c for c in writes_since(sandbox, mark) if c["account"] == MANAGEMENT]
    assert [(c["action"], c["error_code"]) for c in management_writes] == [
        ("CancelHandshake", "InvalidHandshakeTransitionException"),
        ("RemoveAccountFromOrganization", None),
    ]
    again = run_module(MODULE, account_id=globex["account_id"], state="absent")
    assert not again.changed and not again.failed, again


@pytest.mark.parametrize(
    ("flag", "says"),
    [
        ("payment_instrument", ["MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED", "add a payment method"]),
        ("phone_verified", ["ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION", "phone verification", "root user"]),
    ],
    ids=["payment-instrument-missing", "phone-verification-missing"],
)
def test_removal_refused_until_the_account_can_stand_alone(run_module, aws, world, sandbox, flag, says):
    member = invite_and_accept(aws, world, "globex")
    sandbox.request("POST", "/standalone-readiness", {"account_id": member, flag: False})
    done = run_module(MODULE, account_id=member, state="absent")
    assert_failed(done, member, *says)
    assert member in member_ids(aws) and done["link"]["membership"] == "member"


def test_removal_of_a_delegated_administrator_names_the_services(run_module, aws, world):
    member = invite_and_accept(aws, world, "umbrella")
    org = aws.management("organizations")
    org.register_delegated_administrator(AccountId=member, ServicePrincipal="guardduty.amazonaws.com")
    done = run_module(MODULE, account_id=member, state="absent")
    assert_failed(done, "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG", "guardduty.amazonaws.com", "Deregister")
    assert member in member_ids(aws)


def test_removal_of_a_new_created_account_says_when_it_becomes_possible(run_module, aws, world, sandbox):
    account_id = aws.create_member("Fresh Start")
    joined = aws.management("organizations").describe_account(AccountId=account_id)["Account"]["JoinedTimestamp"]
    done = run_module(MODULE, account_id=account_id, state="absent")
    earliest = joined + timedelta(days=4)
    assert_failed(done, "WAIT_PERIOD_ACTIVE", f"from {earliest.isoformat()} at the earliest")

    sandbox.advance_clock(4 * 86400)
    done = run_module(MODULE, account_id=account_id, state="absent")
    assert done.changed and not done.failed, done


def test_the_management_account_is_refused(run_module, sandbox):
    mark = sandbox.mark()
    done = run_module(MODULE, account_id=MANAGEMENT, state="absent")
    assert_failed(done, "management account", "cannot be removed")
    assert writes_since(sandbox, mark) == []
    present = run_module(MODULE, account_id=MANAGEMENT)
    assert not present.changed and present["link"]["membership"] == "member"


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"account_id": "21098765432"}, "account_id: must be an AWS account id of exactly 12 digits"),
        ({"account_id": "21098765432x"}, "account_id: must be an AWS account id"),
        ({"email": "not-an-email"}, "email: "),
        ({"email": "a(b)@globex.example"}, "email: must not contain ( )"),
        ({"account_id": "210987654321", "email": "x@nodot"}, "email: must have a dotted domain"),
        ({"account_id": "210987654321", "notes": "x" * 1025}, "notes: must be at most 1024 characters"),
        ({"account_id": "210987654321", "wait_timeout": -1}, "wait_timeout"),
        (
            {"account_id": "210987654321", "member_credentials": {"role_arn": "msp-onboarding"}},
            "member_credentials.role_arn: must be an IAM role ARN",
        ),
        (
            {"account_id": "210987654321", "state": "absent", "member_credentials": {"profile": "x"}},
            "member_credentials: only accepts an invitation",
        ),
        ({"state": "absent"}, "one of the following is required: account_id, email"),
        (
            {
                "account_id": "210987654321",
                "member_credentials": {
                    "access_key": "AKIAEXAMPLE",
                    "secret_key": "not-the-secret",
                    "external_id": "umbrella-7f3a",
                },
            },
            "required by 'external_id': role_arn",
        ),
    ],
    ids=[
        "account-id-11-digits",
        "account-id-not-digits",
        "email-without-at",
        "email-forbidden-characters",
        "email-without-dotted-domain",
        "notes-too-long",
        "negative-wait-timeout",
        "role-arn-not-an-arn",
        "credentials-with-absent",
        "no-target",
        "external-id-without-role-arn",
    ],
)
def test_bad_input_fails_before_any_call(run_module, sandbox, args, says):
    mark = sandbox.mark()
    done = run_module(MODULE, **args)
    assert_failed(done, says)
    assert writes_since(sandbox, mark) == []
    assert sandbox.calls(since=mark)["calls"] == []  # not even a read: the rules are checked first


def test_an_email_that_is_not_the_accounts_fails_before_any_write(run_module, aws, world, sandbox):
    member = invite_and_accept(aws, world, "globex")
    mark = sandbox.mark()
    done = run_module(MODULE, account_id=member, email="someone-else@globex.example", state="absent")
    assert_failed(done, "is not the root email of member account")
    assert writes_since(sandbox, mark) == []
