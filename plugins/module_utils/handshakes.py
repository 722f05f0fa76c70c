# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Organizations invitations (handshakes): the decision table, the reads, and the writes that move them.

:func:`plan` is pure: the target's membership, the state of its invitation and the options give the steps a
run takes. aws_billing_link, its check mode (through :func:`predict`), the audit and the planner share it, so
they agree on what a run would do. The writes never exit: they raise :class:`MspAwsError` with a message that
says what is left behind (an open invitation stays open) and what to do next.
"""

import time

try:
    import boto3
    import botocore
except ImportError:
    pass  # The modules report a missing boto3 or botocore through AnsibleAWSModule.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    error_code,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import account_summary
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import assume_role

OPEN_STATES = ("REQUESTED", "OPEN")
# The state AWS gives a new invitation (InviteAccountToOrganization's and DescribeHandshake's examples in the
# API reference): what check mode predicts for one it would send.
NEW_INVITATION_STATE = "OPEN"
ACCEPTED = "ACCEPTED"
NOTES_MAX_LENGTH = 1024  # InviteAccountToOrganization's model

# The target account as the organization sees it.
MEMBER = "member"
INVITED = "invited"
NONE = "none"

# The steps of a plan, in the order a run takes them.
INVITE = "invite"
ACCEPT = "accept"
WAIT = "wait"
CANCEL = "cancel"
REMOVE = "remove"
REFUSE_MANAGEMENT = "refuse_management_account"
WRITE_STEPS = (INVITE, ACCEPT, CANCEL, REMOVE)

# InviteAccountToOrganization answers that prove AWS did not act: sending again later is safe.
RESEND_CODES = ("TooManyRequestsException", "ConcurrentModificationException")
# Answers after which AWS may or may not have created the invitation: re-read before sending again.
AMBIGUOUS_CODES = ("ServiceException", "InternalFailure", "InternalError", "ServiceUnavailableException")
# What AWS answers when the member credentials themselves are no good.
BAD_CREDENTIAL_CODES = (
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
)
ACCESS_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "AccessDeniedForDependencyException")
# DuplicateHandshakeException while the organization's list does not show the other invitation yet (AWS's
# reads are eventually consistent): pauses between the re-reads before it is an error.
DUPLICATE_REREAD_DELAYS = (1.0, 2.0, 4.0)

# InviteAccountToOrganization errors that are neither a Reason of HandshakeConstraintViolationException nor
# worth sending again: what they mean and what to do.
INVITE_ERRORS = {
    "AccountOwnerNotVerifiedException": (
        "AWS refused to invite {target} (AccountOwnerNotVerifiedException): the organization may not invite "
        "existing accounts until AWS has verified that you own the management account's root email address. "
        "Follow the verification link AWS sent to that address (or resend it from the AWS Organizations "
        "console's Settings page), then run this again"
    ),
    "FinalizingOrganizationException": (
        "AWS refused to invite {target} (FinalizingOrganizationException): the organization has not finished "
        "initializing, which can take up to an hour after it was created. Run this again later"
    ),
}

INVITE_REFUSALS = {
    "ALREADY_IN_AN_ORGANIZATION": (
        "{target} is already a member of another organization. It must leave that organization first (the "
        "account's administrator calls LeaveOrganization, or that organization's management account removes it); "
        "then run this again"
    ),
    "HANDSHAKE_RATE_LIMIT_EXCEEDED": (
        "the organization has sent as many invitations as AWS allows in 24 hours (20): no invitation was sent to "
        "{target}. Run this again once the oldest of today's invitations is a day old"
    ),
    "ACCOUNT_NUMBER_LIMIT_EXCEEDED": (
        "the organization has reached its account quota (members, open invitations and accounts being created "
        "all count): no invitation was sent to {target}. Cancel invitations you no longer need, remove accounts, "
        "or ask AWS (Service Quotas, AWS Organizations) for a higher quota"
    ),
    "PAYMENT_INSTRUMENT_REQUIRED": (
        "AWS requires a payment method (such as a credit card) on an account this invitation involves; it does "
        "not say which. Check the billing console of the management account and of {target}, add one where it is "
        "missing, and run this again"
    ),
    "ORGANIZATION_FROM_DIFFERENT_SELLER_OF_RECORD": (
        "{target} is billed by a different AWS seller of record (for example AISPL in India) than the "
        "organization, so AWS does not allow it to join"
    ),
    "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED": (
        "{target} has joined or left organizations too often recently; AWS refuses another change for now. "
        "Run this again later"
    ),
    "MANAGEMENT_ACCOUNT_EMAIL_NOT_VERIFIED": (
        "the management account's root email address is not verified, so AWS refuses to invite {target}: "
        "verify it (AWS sent a message to that address) and run this again"
    ),
}


# HandshakeConstraintViolationException Reasons when the client accepts: the same constraints, seen from the
# accepting side (nothing was sent now; the invitation stays open unless AWS says otherwise).
ACCEPT_REFUSALS = {
    "ALREADY_IN_AN_ORGANIZATION": (
        "{target} has joined another organization since it was invited. It must leave that organization first, "
        "then run this again"
    ),
    "ACCOUNT_NUMBER_LIMIT_EXCEEDED": (
        "the organization has reached its account quota, so {target} cannot join it now. Remove accounts or ask "
        "AWS (Service Quotas, AWS Organizations) for a higher quota, then run this again"
    ),
    "PAYMENT_INSTRUMENT_REQUIRED": (
        "AWS requires a payment method (such as a credit card) on an account involved; it does not say which. "
        "Check the billing console of {target} and of the management account, then run this again"
    ),
    "ORGANIZATION_FROM_DIFFERENT_SELLER_OF_RECORD": INVITE_REFUSALS["ORGANIZATION_FROM_DIFFERENT_SELLER_OF_RECORD"],
    "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED": INVITE_REFUSALS[
        "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED"
    ],
}


def plan(state, membership, handshake_state=None, is_management_account=False, can_accept=False, wait=False):
    """The decision table: the steps that bring the target to ``state``.

    ``membership`` is MEMBER, INVITED or NONE; ``handshake_state`` the state of its most relevant invitation
    (None when AWS lists none); ``can_accept`` says the client's credentials were given; ``wait`` that the run
    waits for the client to answer in their console. Returns a tuple of steps (empty: nothing to do).
    """
    invitation_open = handshake_state in OPEN_STATES
    if state == "absent":
        if is_management_account:
            return (REFUSE_MANAGEMENT,)
        steps = [CANCEL] if invitation_open else []
        if membership == MEMBER:
            steps.append(REMOVE)
        return tuple(steps)
    if membership == MEMBER:
        return ()
    steps = [] if invitation_open else [INVITE]
    if can_accept:
        steps.append(ACCEPT)
    elif wait:
        steps.append(WAIT)
    return tuple(steps)


def changes(steps):
    return any(step in WRITE_STEPS for step in steps)


def _timestamp(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def handshake_summary(handshake):
    if not handshake:
        return None
    return {
        "id": handshake.get("Id"),
        "arn": handshake.get("Arn"),
        "state": handshake.get("State"),
        "requested_timestamp": _timestamp(handshake.get("RequestedTimestamp")),
        "expiration_timestamp": _timestamp(handshake.get("ExpirationTimestamp")),
    }


def invited_account_id(handshake):
    """The account an invitation names: its ACCOUNT party, or (an accepted EMAIL invitation) its ACCOUNT resource."""
    for party in handshake.get("Parties", []):
        if party.get("Type") == "ACCOUNT":
            return party.get("Id")
    for resource in handshake.get("Resources", []):
        if resource.get("Type") == "ACCOUNT":
            return resource.get("Value")
    return None


def _names(handshake):
    """Everything an invitation is addressed to, lower-cased: account ids and emails."""
    names = {
        party.get("Id", "").lower() for party in handshake.get("Parties", []) if party.get("Type") != "ORGANIZATION"
    }
    names.update(
        resource.get("Value", "").lower()
        for resource in handshake.get("Resources", [])
        if resource.get("Type") in ("ACCOUNT", "EMAIL")
    )
    return names


def relevant_handshake(handshakes, account_id=None, email=None):
    """The target's open invitation if there is one, else its most recent one, else None."""
    wanted = {name.lower() for name in (account_id, email) if name}
    mine = [h for h in handshakes if h.get("Action", "INVITE") == "INVITE" and wanted & _names(h)]
    pool = [h for h in mine if h.get("State") in OPEN_STATES] or mine
    return max(pool, key=lambda h: h.get("RequestedTimestamp") or 0) if pool else None


def link_of(account, handshake, account_id=None, email=None):
    """The ``link`` a run returns: the account's membership of the organization and its relevant invitation."""
    summary = account_summary(account) if account else {}
    if account:
        membership = MEMBER
    elif handshake and handshake.get("State") in OPEN_STATES:
        membership = INVITED
    else:
        membership = NONE
    return {
        "account_id": summary.get("id") or account_id or (invited_account_id(handshake) if handshake else None),
        "email": summary.get("email") or email,
        "membership": membership,
        "joined_method": summary.get("joined_method"),
        "joined_timestamp": summary.get("joined_timestamp"),
        "handshake": handshake_summary(handshake),
    }


def accepted_link(handshake, account_id=None, email=None):
    """The ``link`` of an account whose acceptance is proven (the member side sees the organization, or the
    invitation is ACCEPTED) while DescribeAccount does not show it yet: a member; its join time unknown."""
    link = link_of(None, handshake, account_id or invited_account_id(handshake), email)
    return dict(link, membership=MEMBER, joined_method="INVITED")


def predict(link, steps, email=None):
    """The ``link`` a run taking ``steps`` ends with, as far as it can be known before (check mode).

    What only AWS can say (a new invitation's id and timestamps, the join time, a new member's root email) is
    None. A wait is predicted to end where it starts: whether and when the client answers is not knowable.
    ``email`` is the one the run was given: all a removed account's link still knows of its email.
    """
    after = dict(link, handshake=dict(link["handshake"]) if link["handshake"] else None)
    for step in steps:
        if step == INVITE:
            after["membership"] = INVITED
            after["handshake"] = dict.fromkeys(("id", "arn", "requested_timestamp", "expiration_timestamp"))
            after["handshake"]["state"] = NEW_INVITATION_STATE
        elif step == ACCEPT:
            after.update(membership=MEMBER, joined_method="INVITED", joined_timestamp=None)
            after["handshake"]["state"] = ACCEPTED
        elif step == CANCEL:
            after["handshake"]["state"] = "CANCELED"
            if after["membership"] == INVITED:
                after["membership"] = NONE
        elif step == REMOVE:
            after.update(membership=NONE, joined_method=None, joined_timestamp=None, email=email)
    return after


def diff_view(link):
    """What diff mode shows: membership and the invitation, without timestamps that change on every read."""
    handshake = link["handshake"]
    return {
        "account_id": link["account_id"],
        "membership": link["membership"],
        "joined_method": link["joined_method"],
        "invitation": {"id": handshake["id"], "state": handshake["state"]} if handshake else None,
    }


def invitation_target(account_id=None, email=None):
    return {"Type": "ACCOUNT", "Id": account_id} if account_id else {"Type": "EMAIL", "Id": email}


def list_invitations(client):
    """Every invitation the organization sent that AWS still lists (open ones, and closed ones for 30 days)."""
    try:
        paginator = client.get_paginator("list_handshakes_for_organization")
        pages = paginator.paginate(Filter={"ActionType": "INVITE"})
        return pages.build_full_result()["Handshakes"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message="Failed to list the organization's invitations", exception=e) from e


def describe_handshake(client, handshake_id):
    try:
        return client.describe_handshake(HandshakeId=handshake_id, aws_retry=True)["Handshake"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(message=f"Failed to describe invitation {handshake_id}", exception=e) from e


def _reason(exception):
    return (getattr(exception, "response", None) or {}).get("Reason")


def invite_refusal_message(exception, target):
    """AWS's refusal to send an invitation to ``target``, in words that say what to do."""
    code, reason = error_code(exception), _reason(exception)
    if code in INVITE_ERRORS:
        return INVITE_ERRORS[code].format(target=target)
    template = INVITE_REFUSALS.get(reason)
    if template:
        return f"AWS refused to invite {target} ({reason}): " + template.format(target=target)
    return f"AWS refused to invite {target}"


def accept_refusal_message(exception, target, handshake_id):
    """AWS's refusal to let ``target`` accept invitation ``handshake_id``."""
    reason = _reason(exception)
    template = ACCEPT_REFUSALS.get(reason)
    head = f"AWS refused to let {target} accept invitation {handshake_id}"
    if template:
        return f"{head} ({reason}): " + template.format(target=target)
    return f"{head} ({reason or error_code(exception)})"


def unanswered_message(handshake, timeout):
    """Why a wait for the client's answer ended without an acceptance."""
    if handshake["State"] in OPEN_STATES:
        return (
            f"The client did not accept invitation {handshake['Id']} within {timeout} s. It stays open until "
            f"{_timestamp(handshake.get('ExpirationTimestamp'))}: run again (with a longer wait_timeout) once they "
            "have accepted"
        )
    return (
        f"Invitation {handshake['Id']} ended {handshake['State']} instead of being accepted: ask the client, then run "
        "again to send a new invitation"
    )


def management_account_message(account_id):
    return (
        f"Account {account_id} is the organization's management account: it cannot be removed from its own "
        "organization (delete the organization after all members have left instead)"
    )


def _open_invitation(read_client, account_id, email):
    found = relevant_handshake(list_invitations(read_client), account_id, email)
    return found if found and found["State"] in OPEN_STATES else None


def _other_invitation(read_client, account_id, email, sleep):
    """The open invitation a DuplicateHandshakeException speaks of, read again a few times while AWS's list
    catches up; None when it never shows under the names given."""
    for delay in (0.0, *DUPLICATE_REREAD_DELAYS):
        if delay:
            sleep(delay)
        existing = _open_invitation(read_client, account_id, email)
        if existing:
            return existing
    return None


def send_invitation(
    invite_client, read_client, account_id=None, email=None, notes=None, attempts=6, first_delay=1.0, sleep=time.sleep
):
    """Invite the target once, and only once. Returns ``(handshake, created)``.

    ``invite_client`` makes a single attempt (botocore must not resend it on its own: a lost answer may hide
    an invitation AWS made). DuplicateHandshakeException means an invitation is open already: it is re-read
    (a few times, while AWS's list catches up) and adopted. It counts as another run's (``created`` False)
    unless an earlier attempt of this run left it unknown whether AWS acted: then it may well be this run's
    own, and is reported as created. After such an answer the invitations are re-read and one found is
    adopted as this run's; only when none is found is the invitation sent again. Throttling proves AWS did
    not act, so it is simply sent again after a pause.
    """
    target_text = f"account {account_id}" if account_id else f"the account with root email {email}"
    params = {"Target": invitation_target(account_id, email)}
    if notes:
        params["Notes"] = notes
    delay = first_delay
    last_error = None
    uncertain = False  # an earlier attempt may have made the invitation
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(delay)
            delay = min(delay * 2, 15.0)
        try:
            return invite_client.invite_account_to_organization(**params)["Handshake"], True
        except botocore.exceptions.ClientError as e:
            last_error, code = e, error_code(e)
            if code == "DuplicateHandshakeException":
                existing = _other_invitation(read_client, account_id, email, sleep)
                if existing:
                    return existing, uncertain
                raise MspAwsError(
                    message=(
                        f"AWS reports an open invitation for {target_text} that the organization's list does not "
                        "show under that name: it was addressed to the account's other name (its email or its id). "
                        "Give both account_id and email"
                    ),
                    exception=e,
                ) from e
            if code not in RESEND_CODES + AMBIGUOUS_CODES:
                raise MspAwsError(message=invite_refusal_message(e, target_text), exception=e) from e
        except botocore.exceptions.BotoCoreError as e:  # a dropped connection or a time-out: AWS may have acted
            last_error, code = e, None
        if code not in RESEND_CODES:
            uncertain = True
            existing = _open_invitation(read_client, account_id, email)
            if existing:
                return existing, True
    raise MspAwsError(
        message=f"Could not invite {target_text}: AWS did not take the invitation in {attempts} attempts",
        exception=last_error,
    )


def cancel_invitation(client, handshake_id):
    """Cancel an open invitation. Returns ``(handshake, cancelled)``.

    One closed meanwhile (cancelled by another run, answered or expired) is described as it is, with
    ``cancelled`` False: this run wrote nothing. The caller must look at its state: ACCEPTED means the client
    accepted while the cancellation was on its way, and the account is a member now.
    """
    try:
        return client.cancel_handshake(HandshakeId=handshake_id, aws_retry=True)["Handshake"], True
    except is_boto3_error_code(["HandshakeAlreadyInStateException", "InvalidHandshakeTransitionException"]):
        return describe_handshake(client, handshake_id), False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise MspAwsError(message=f"Failed to cancel invitation {handshake_id}", exception=e) from e


def read_until_found(read, attempts=5, interval=1.0, sleep=time.sleep):
    """``read()`` until it returns something, at most ``attempts`` times: AWS's reads are eventually
    consistent, so an account that just joined may not be described yet. None if it never shows."""
    for attempt in range(attempts):
        if attempt:
            sleep(interval)
        found = read()
        if found is not None:
            return found
    return None


def wait_for_answer(client, handshake_id, timeout, interval, sleep=time.sleep, clock=time.monotonic):
    """Poll the invitation until the client answers it, it expires, or ``timeout`` seconds pass.

    Returns the last description read: an open state means the client did not answer in time.
    """
    deadline = clock() + timeout
    while True:
        handshake = describe_handshake(client, handshake_id)
        remaining = deadline - clock()
        if handshake["State"] not in OPEN_STATES or remaining <= 0:
            return handshake
        sleep(min(interval, remaining))


class MemberSide:
    """The client's account, reached with the credentials the client gave (``member_credentials``).

    ``make_client`` is the module's ``client`` (AnsibleAWSModule.client), so the module's endpoint, region,
    validate_certs, aws_ca_bundle and aws_config apply; ``credentials`` are the boto3 keyword arguments that
    replace the module's own credentials (keys, or a profile name).
    """

    def __init__(self, make_client, credentials):
        self.make_client = make_client
        self.credentials = credentials

    def client(self, service):
        return self.make_client(service, config=standard_retry_config(), **self.credentials)

    def account_id(self):
        """Whose credentials these are (GetCallerIdentity), or a clear error when AWS does not accept them."""
        try:
            return self.client("sts").get_caller_identity()["Account"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise MspAwsError(
                message=(
                    f"member_credentials: AWS does not accept the client's credentials ({error_code(e) or e}): "
                    "check the profile or keys (and that a session token has not expired)"
                ),
                exception=e,
            ) from e


def _keys(access_key, secret_key, session_token=None):
    # profile_name None: the module's own profile, if it has one, must not mix with the client's keys.
    return {
        "profile_name": None,
        "aws_access_key_id": access_key,
        "aws_secret_access_key": secret_key,
        "aws_session_token": session_token,
    }


def available_profiles():
    try:
        return boto3.session.Session().available_profiles
    except botocore.exceptions.BotoCoreError:
        return []


def member_side(credentials, make_client, default_sts_client, profiles=available_profiles):
    """A :class:`MemberSide` from ``member_credentials``: a profile, keys, and/or a role ARN to assume.

    ``make_client`` is the module's ``client``. A role ARN is assumed with the profile or keys when given, else
    with the module's own credentials (``default_sts_client``: a role in the client's account that trusts the
    MSP). It is tried once: a refusal is a configuration error here, not a new account settling.
    """
    if credentials.get("profile"):
        if credentials["profile"] not in profiles():
            raise MspAwsError(
                message=(
                    f"member_credentials.profile: there is no profile {credentials['profile']!r} in the AWS config "
                    "files of the host that runs the module"
                )
            )
        # Keys None: the profile's own credentials, not the module's connection keys.
        base = dict(_keys(None, None), profile_name=credentials["profile"])
    elif credentials.get("access_key"):
        base = _keys(credentials["access_key"], credentials["secret_key"], credentials.get("session_token"))
    else:
        base = None
    if not credentials.get("role_arn"):
        return MemberSide(make_client, base)
    sts_client = MemberSide(make_client, base).client("sts") if base else default_sts_client
    try:
        keys, _attempts = assume_role(
            sts_client, credentials["role_arn"], "accept-invitation", credentials.get("external_id"), timeout=0
        )
    except MspAwsError as e:
        raise MspAwsError(
            message=(
                f"member_credentials.role_arn: AWS refused to let these credentials assume {credentials['role_arn']} "
                f"({error_code(e.exception) or 'error'}): check that the role exists in the client's account, that "
                "its trust policy trusts the calling account, and the external_id it expects"
            ),
            exception=e.exception,
        ) from e
    return MemberSide(make_client, dict(_keys(None, None), **keys))


def accept_invitation(member, handshake_id, account_text):
    """Accept as the client would in their console. Returns ``(handshake, accepted)``; accepted already (by
    another run or the client) is fine, with ``accepted`` False since this run wrote nothing."""
    left_open = f"Invitation {handshake_id} is left open: accept it in the client's console, or fix this and run again"
    client = member.client("organizations")
    try:
        return client.accept_handshake(HandshakeId=handshake_id)["Handshake"], True
    except botocore.exceptions.ClientError as e:
        code = error_code(e)
        if code == "HandshakeAlreadyInStateException":
            return _describe_as_member(client, handshake_id, left_open), False
        if code in ACCESS_DENIED_CODES:
            message = (
                f"member_credentials: {account_text} may not accept the invitation ({code}): the client's "
                "credentials need organizations:AcceptHandshake, and iam:CreateServiceLinkedRole for AWS to set "
                f"up the organization's service-linked roles. {left_open}"
            )
        elif code in BAD_CREDENTIAL_CODES:
            message = f"member_credentials: AWS does not accept the client's credentials ({code}). {left_open}"
        elif code == "HandshakeNotFoundException":
            message = (
                f"member_credentials: {account_text} cannot see invitation {handshake_id}: it is addressed to "
                f"another account (these are not the invited account's credentials). {left_open}"
            )
        elif code == "HandshakeConstraintViolationException":
            message = accept_refusal_message(e, account_text, handshake_id) + f". {left_open}"
        elif code == "InvalidHandshakeTransitionException":
            message = (
                f"Invitation {handshake_id} was closed (declined, cancelled or expired) before it could be "
                "accepted: run again to send a new one"
            )
        else:
            message = f"Failed to accept invitation {handshake_id} as {account_text}. {left_open}"
        raise MspAwsError(message=message, exception=e) from e
    except botocore.exceptions.BotoCoreError as e:
        raise MspAwsError(message=f"Failed to accept invitation {handshake_id}. {left_open}", exception=e) from e


def _describe_as_member(client, handshake_id, left_open):
    try:
        return client.describe_handshake(HandshakeId=handshake_id)["Handshake"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise MspAwsError(
            message=(
                f"Invitation {handshake_id} is already answered, but the client's account could not describe it "
                f"({error_code(e) or e}). {left_open}"
            ),
            exception=e,
        ) from e


def verify_membership(member, organization_id, attempts=5, interval=1.0, sleep=time.sleep):
    """Check from the client's side (DescribeOrganization as the member) that it is in ``organization_id``.

    AWS's reads are eventually consistent, so "no organization yet" right after accepting is read again a few
    times before it is an error.
    """
    client = member.client("organizations")
    seen = None
    for attempt in range(attempts):
        if attempt:
            sleep(interval)
        try:
            seen = client.describe_organization()["Organization"]["Id"]
        except is_boto3_error_code("AWSOrganizationsNotInUseException"):
            continue
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            raise MspAwsError(message="Failed to describe the organization as the member account", exception=e) from e
        if seen == organization_id:
            return seen
        break
    raise MspAwsError(
        message=f"After accepting, the client's account sees organization {seen or 'none'}, not {organization_id}"
    )
