#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_billing_link
short_description: Bring a client's existing AWS account into the organization's consolidated billing, or release it
version_added: 0.1.0
description:
  - Makes "this AWS account is (or is not) billed through our organization" one idempotent task, run with the
    organization's management account's credentials.
  - With O(state=present) an account outside the organization is invited (InviteAccountToOrganization). When the
    client's credentials are given in O(member_credentials), the invitation is accepted with them, as the client
    would in their console, and the module checks from the client's side that the account now sees the
    organization. Without them, O(wait=true) waits for the client to accept in their console, and O(wait=false)
    returns the pending invitation.
  - An open invitation is never sent twice (AWS would refuse it with DuplicateHandshakeException); a declined,
    expired or cancelled one is replaced by a new invitation. Two runs inviting the same account at the same time
    leave one invitation, and neither fails.
  - With O(state=absent) an open invitation is cancelled and a member account is removed from the organization
    (RemoveAccountFromOrganization). If the client accepts the invitation while it is being cancelled, the account
    is removed in the same run. The management account is refused. AWS's refusals (no payment method, no
    phone verification, the waiting period of an account the organization created, delegated administrator
    registrations) are reported with what to do before running again.
  - B(An invited account gets no OrganizationAccountAccessRole.) AWS creates that role only in accounts the
    organization creates, so the management account cannot assume its way into an invited account. The
    collection gets in through a role that trusts the management account, which the onboarding journey creates
    in the client's account with the client's own credentials (the same ones this module accepts with). This
    module does not create it.
  - Removing an account deletes its tags in the organization and stops its SCPs, but does not delete roles the
    collection created in it; remove those first if the client should not keep them.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  account_id:
    description:
      - The 12-digit id of the client's account. Quote it in YAML so leading zeros survive.
      - The invitation is addressed to the account id when this is given, else to O(email).
      - At least one of O(account_id) and O(email) is required; with both, invitations addressed to either match.
    type: str
  email:
    description:
      - The root user's email address of the client's account, checked against AWS's rules before any call.
      - Used as the invitation's target when O(account_id) is not given.
    type: str
  state:
    description:
      - V(present) makes the account a member of the organization (or leaves it invited, see O(wait)).
      - V(absent) cancels an open invitation and removes a member account from the organization.
    type: str
    choices: [present, absent]
    default: present
  notes:
    description:
      - The message AWS shows the client with a new invitation (up to 1024 characters).
      - Only used when an invitation is sent; an open invitation is not replaced because its notes differ.
    type: str
  member_credentials:
    description:
      - Credentials of the client's account, used only with O(state=present) to accept the invitation and to check
        from the client's side that the account joined.
      - Give O(member_credentials.profile), or O(member_credentials.access_key) and O(member_credentials.secret_key),
        and/or O(member_credentials.role_arn).
      - The connection options (endpoint, region, O(validate_certs), O(aws_ca_bundle), O(aws_config)) are those of
        the module's own connection; only the credentials differ.
      - With O(account_id), the module checks before inviting that these credentials are that account's. With only
        O(email) it cannot, as AWS shows an account's root email only to its own organization; it then only checks
        that they are not those of an account already in the organization; credentials of another standalone
        account are found out when they cannot accept, with the invitation already sent (it is left open and
        reported). Give O(account_id) too to have them checked first.
      - Without them the client accepts in their console (see O(wait)).
    type: dict
    suboptions:
      profile:
        description:
          - A named profile (in the AWS config files of the host that runs the module) with the client's credentials.
          - The files are those boto3 reads (E(AWS_CONFIG_FILE), E(AWS_SHARED_CREDENTIALS_FILE), else C(~/.aws/)).
        type: str
      access_key:
        description:
          - The access key id of the client's credentials.
        type: str
      secret_key:
        description:
          - The secret access key of the client's credentials.
        type: str
      session_token:
        description:
          - The session token, for temporary credentials.
        type: str
      role_arn:
        description:
          - A role in the client's account to assume. It is assumed with the profile or keys when given, else with
            the module's own credentials (a role that trusts the management account).
        type: str
      external_id:
        description:
          - The ExternalId the role's trust policy asks for.
          - Requires O(member_credentials.role_arn).
        type: str
  wait:
    description:
      - With O(state=present) and no O(member_credentials), wait for the client to accept the invitation in their
        console, for up to O(wait_timeout) seconds. The run fails if the client declines, or does not answer in
        time; the invitation stays open then.
      - The client's acceptance is not a write of this run. A run that only waits (the invitation was already open)
        and sees the client accept reports C(changed=false), although RV(link.membership) and the diff go from
        V(invited) to V(member); a run that also sent the invitation reports C(changed=true).
      - With V(false), a pending invitation is returned as it is.
      - Check mode never waits.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long O(wait) waits, in seconds.
    type: int
    default: 600
  wait_interval:
    description:
      - Seconds between two reads of the invitation while waiting.
    type: float
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Check mode predicts exactly which invitation, acceptance, cancellation or removal a run makes.
  diff_mode:
    support: full
    description: The diff shows the membership and the invitation before and after.
notes:
  - AWS allows 20 invitations a day per organization; open invitations count against the organization's account
    quota. Each gets its own error message.
  - An invitation expires after 15 days. AWS lists answered and expired invitations for 30 days; after that the
    module no longer reports them.
  - A created account cannot be removed for at least four days after its creation (WAIT_PERIOD_ACTIVE); invited
    accounts can be removed at once.
"""

EXAMPLES = r"""
- name: Invite a client's account; the client accepts in their console later
  msp.aws_accounts.aws_billing_link:
    account_id: "210987654321"
    notes: "Consolidated billing with Example MSP, as agreed in contract 2024-17"
  register: globex_link

- name: Invite by root email and wait up to 30 minutes for the client to accept in their console
  msp.aws_accounts.aws_billing_link:
    email: aws-root@globex.example
    wait: true
    wait_timeout: 1800
    wait_interval: 30

- name: Invite and accept at once with the client's credentials (a profile on the control node)
  msp.aws_accounts.aws_billing_link:
    account_id: "310987654321"
    member_credentials:
      profile: initech-admin

- name: Invite and accept with temporary keys the client handed over
  msp.aws_accounts.aws_billing_link:
    account_id: "410987654321"
    member_credentials:
      access_key: "{{ umbrella_access_key }}"
      secret_key: "{{ umbrella_secret_key }}"
      session_token: "{{ umbrella_session_token }}"

- name: Accept through a role the client created for the MSP, with its external id
  msp.aws_accounts.aws_billing_link:
    account_id: "410987654321"
    member_credentials:
      role_arn: arn:aws:iam::410987654321:role/msp-onboarding
      external_id: umbrella-7f3a

- name: At handover, release the account (or cancel the invitation if it was never accepted)
  msp.aws_accounts.aws_billing_link:
    account_id: "210987654321"
    state: absent
"""

RETURN = r"""
link:
  description:
    - The account's link to the organization after the run (in check mode, as the run would leave it; what only AWS
      can say, such as a new invitation's id and timestamps, is null).
    - On failure, the link as far as the run got (an invitation it sent and left open, for example).
  returned: always
  type: dict
  contains:
    account_id:
      description: The account's id; null for an invitation addressed to an email whose account is not known yet.
      returned: always
      type: str
      sample: "210987654321"
    email:
      description: The account's root email as the organization knows it, else the O(email) given.
      returned: always
      type: str
      sample: aws-root@globex.example
    membership:
      description:
        - V(member) when the account belongs to the organization, V(invited) when it has an open invitation,
          V(none) otherwise.
      returned: always
      type: str
      sample: invited
    joined_method:
      description: How a member joined (V(INVITED) or V(CREATED)); null for an account that is not a member.
      returned: always
      type: str
      sample: INVITED
    joined_timestamp:
      description: When a member joined (ISO 8601); null for an account that is not a member.
      returned: always
      type: str
      sample: "2024-05-02T10:11:12.345000+00:00"
    handshake:
      description:
        - The relevant invitation (the open one, else the most recent one AWS still lists); null if there is none.
      returned: always
      type: dict
      contains:
        id:
          description: The handshake id.
          returned: always
          type: str
          sample: h-examplehandshakeid111
        arn:
          description: The handshake ARN.
          returned: always
          type: str
          sample: arn:aws:organizations::123456789012:handshake/o-exampleorgid/invite/h-examplehandshakeid111
        state:
          description:
            - V(REQUESTED), V(OPEN), V(ACCEPTED), V(DECLINED), V(CANCELED) or V(EXPIRED). V(REQUESTED) and V(OPEN)
              both mean the invitation waits for the client's answer.
            - In check mode, an invitation the run would send is predicted V(OPEN), the state AWS's API reference
              shows for a new invitation.
          returned: always
          type: str
          sample: OPEN
        requested_timestamp:
          description: When the invitation was sent (ISO 8601).
          returned: always
          type: str
          sample: "2024-05-02T10:11:12.345000+00:00"
        expiration_timestamp:
          description: When the invitation expires if unanswered, 15 days after it was sent (ISO 8601).
          returned: always
          type: str
          sample: "2024-05-17T10:11:12.345000+00:00"
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils import handshakes
from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    InvalidInput,
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    single_attempt_config,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.membership import remove_account
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    describe_account,
    describe_organization,
    find_account,
    list_accounts,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_account_id, require_email

ROLE_ARN_PREFIX = "arn:"


class Progress:
    """What the run has written and knows so far. ensure_present and ensure_absent return their
    ``(changed, link)``, and record every step here too: a failure half-way must still report what was
    written (an invitation left open, say), and only :func:`fail` reads it."""

    def __init__(self):
        self.changed = False
        self.link = None

    def record(self, link, wrote=False):
        self.link = link
        self.changed = self.changed or wrote
        return link


def validate(params):
    """Every rule AWS would apply to the options, before any call."""
    if params["account_id"] is not None:
        require_account_id(params["account_id"])
    if params["email"] is not None:
        require_email(params["email"])
    notes = params["notes"]
    if notes is not None and len(notes) > handshakes.NOTES_MAX_LENGTH:
        raise InvalidInput("notes", f"must be at most {handshakes.NOTES_MAX_LENGTH} characters, not {len(notes)}")
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    if params["wait_interval"] <= 0:
        raise InvalidInput("wait_interval", "must be more than 0 seconds")
    credentials = params["member_credentials"]
    if credentials is None:
        return
    if params["state"] == "absent":
        raise InvalidInput("member_credentials", "only accepts an invitation, so it is only used with state=present")
    if not any(credentials.get(name) for name in ("profile", "access_key", "role_arn")):
        raise InvalidInput("member_credentials", "needs a profile, an access_key and secret_key, or a role_arn")
    role = credentials.get("role_arn")
    if role and not (role.startswith(ROLE_ARN_PREFIX) and ":role/" in role):
        raise InvalidInput("member_credentials.role_arn", "must be an IAM role ARN (arn:aws:iam::<id>:role/<name>)")


def read_account(org, account_id, email):
    """The target as a member of the organization (DescribeAccount, or ListAccounts for an email), or None."""
    if account_id:
        return matching_email(describe_account(org, account_id), email)
    return find_account(list_accounts(org), email=email)


def read_link(org, organization, account_id, email):
    """The target's membership and its relevant invitation: the account, then the organization's invitations."""
    account = read_account(org, account_id, email)
    invitations = handshakes.list_invitations(org)
    known_id = account["Id"] if account else account_id
    known_email = account.get("Email") if account else email
    handshake = handshakes.relevant_handshake(invitations, known_id, known_email)
    is_management = known_id == organization["management_account_id"]
    return account, handshake, is_management


def matching_email(account, email):
    """DescribeAccount's answer, unless it is another account than the email given names (a wrong pairing)."""
    if account and email and account.get("Email", "").lower() != email.lower():
        raise InvalidInput(
            "email",
            f"is not the root email of member account {account['Id']} ({account.get('Email')}): give the right pair",
        )
    return account


def member_account_text(link):
    return f"account {link['account_id']}" if link["account_id"] else f"the account with root email {link['email']}"


def connect_member(module, org, credentials, link):
    """The client's side, checked to be the invited account before anything is written.

    With an account id, the credentials must be that account's. With only an email, AWS shows no account's
    root email outside its organization, so all that can be checked first is that the credentials are not
    those of an account already in the organization (which cannot be the one invited).
    """
    sts_client = module.client("sts", config=standard_retry_config())
    member = handshakes.member_side(credentials, module.client, sts_client)
    member_id = member.account_id()
    if link["account_id"] and member_id != link["account_id"]:
        raise MspAwsError(
            message=(
                f"member_credentials are those of account {member_id}, not of {member_account_text(link)}: give the "
                "client's credentials for the invited account"
            )
        )
    if not link["account_id"]:
        known = describe_account(org, member_id)
        if known is not None:
            raise MspAwsError(
                message=(
                    f"member_credentials are those of account {member_id}, which is already in the organization "
                    f"(root email {known.get('Email')}), not of {member_account_text(link)}: give the client's "
                    "credentials for the invited account"
                )
            )
    return member, member_id


def joined_link(org, handshake, account_id, email):
    """The link of an account that has just joined: DescribeAccount (or ListAccounts for an email), read again
    briefly while AWS's reads catch up, else the membership the acceptance proves."""
    account_id = account_id or handshakes.invited_account_id(handshake)
    account = handshakes.read_until_found(lambda: read_account(org, account_id, None if account_id else email))
    if account is None:
        return handshakes.accepted_link(handshake, account_id, email)
    return handshakes.link_of(account, handshake)


def ensure_present(module, org, organization, progress, handshake, before, steps):
    """Invite, accept or wait as ``steps`` say. Returns ``(changed, link)``; ``changed`` counts this run's writes."""
    params = module.params
    member = member_id = None
    if handshakes.ACCEPT in steps:
        member, member_id = connect_member(module, org, params["member_credentials"], before)
    if module.check_mode:
        return handshakes.changes(steps), handshakes.predict(before, steps)

    changed, link = False, before
    if handshakes.INVITE in steps:
        invite_client = module.client("organizations", config=single_attempt_config())
        handshake, created = handshakes.send_invitation(
            invite_client, org, params["account_id"], params["email"], params["notes"]
        )
        changed = changed or created
        link = progress.record(handshakes.link_of(None, handshake, before["account_id"], before["email"]), created)

    if handshakes.ACCEPT in steps:
        handshake, accepted = handshakes.accept_invitation(member, handshake["Id"], f"account {member_id}")
        changed = changed or accepted
        progress.record(handshakes.accepted_link(handshake, member_id, before["email"]), accepted)
        handshakes.verify_membership(member, organization["id"])
        return changed, progress.record(joined_link(org, handshake, member_id, before["email"]))

    if handshakes.WAIT in steps:
        handshake = handshakes.wait_for_answer(org, handshake["Id"], params["wait_timeout"], params["wait_interval"])
        link = progress.record(handshakes.link_of(None, handshake, before["account_id"], before["email"]))
        if handshake["State"] != handshakes.ACCEPTED:
            raise MspAwsError(message=handshakes.unanswered_message(handshake, params["wait_timeout"]))
        # The client's acceptance is no write of this run: it changes the link, not ``changed``.
        return changed, progress.record(joined_link(org, handshake, before["account_id"], before["email"]))
    return changed, link


def ensure_absent(module, org, progress, account, handshake, before, steps):
    """Cancel the open invitation and remove the member as ``steps`` say. Returns ``(changed, link)``."""
    if handshakes.REFUSE_MANAGEMENT in steps:
        raise MspAwsError(message=handshakes.management_account_message(before["account_id"]))
    email = module.params["email"]
    if module.check_mode:
        return handshakes.changes(steps), handshakes.predict(before, steps, email)

    changed, link = False, before
    if handshakes.CANCEL in steps:
        handshake, cancelled = handshakes.cancel_invitation(org, handshake["Id"])
        changed = changed or cancelled
        if account is None and handshake["State"] == handshakes.ACCEPTED:
            # The client accepted while the cancellation was on its way: the account is a member now, and
            # state=absent takes it out again.
            account_id = before["account_id"] or handshakes.invited_account_id(handshake)
            account = handshakes.read_until_found(lambda: read_account(org, account_id, None if account_id else email))
        link = progress.record(handshakes.link_of(account, handshake, before["account_id"], before["email"]), cancelled)
    if account is not None:
        removed = remove_account(org, account)
        changed = changed or removed
        link = progress.record(handshakes.link_of(None, handshake, link["account_id"], email), removed)
    return changed, link


def fail(module, progress, error):
    """The one failure path. Not module.fail_json_aws_error: that reports only the error, and a run that fails
    half-way must also say what it changed and leave behind (``changed`` and the ``link`` as far as it got,
    such as an invitation it sent that stays open), so the result keeps RETURN's ``link: returned: always``."""
    extra = {"changed": progress.changed, "link": progress.link}
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **extra)
    module.fail_json(msg=error.message, **extra)


def main():
    argument_spec = {
        "account_id": {"type": "str"},
        "email": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "notes": {"type": "str"},
        "member_credentials": {
            "type": "dict",
            "options": {
                "profile": {"type": "str"},
                "access_key": {"type": "str", "no_log": False},
                "secret_key": {"type": "str", "no_log": True},
                "session_token": {"type": "str", "no_log": True},
                "role_arn": {"type": "str"},
                "external_id": {"type": "str", "no_log": False},
            },
            "mutually_exclusive": [("profile", "access_key")],
            "required_together": [("access_key", "secret_key")],
            "required_by": {"session_token": "access_key", "external_id": "role_arn"},
        },
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 600},
        "wait_interval": {"type": "float", "default": 10},
    }
    module = AnsibleAWSModule(
        argument_spec=quiet_access_key(argument_spec),
        supports_check_mode=True,
        required_one_of=[("account_id", "email")],
    )
    params = module.params
    progress = Progress()
    try:
        validate(params)
        org = module.client(
            "organizations", retry_decorator=concurrent_modification_retry, config=standard_retry_config()
        )
        organization = describe_organization(org)
        account, handshake, is_management = read_link(org, organization, params["account_id"], params["email"])
        before = progress.record(handshakes.link_of(account, handshake, params["account_id"], params["email"]))
        steps = handshakes.plan(
            params["state"],
            before["membership"],
            handshake["State"] if handshake else None,
            is_management_account=is_management,
            can_accept=params["member_credentials"] is not None,
            wait=params["wait"],
        )
        if params["state"] == "absent":
            changed, after = ensure_absent(module, org, progress, account, handshake, before, steps)
        else:
            changed, after = ensure_present(module, org, organization, progress, handshake, before, steps)
        module.exit_json(
            changed=changed,
            link=after,
            diff={"before": handshakes.diff_view(before), "after": handshakes.diff_view(after)},
        )
    except MspAwsError as e:
        fail(module, progress, e)


if __name__ == "__main__":
    main()
