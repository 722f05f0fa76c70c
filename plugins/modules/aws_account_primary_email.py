#!/usr/bin/python
# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aws_account_primary_email
short_description: A member account's root user email, changed with the one-time code AWS mails to the new address
version_added: 0.1.0
description:
  - Makes O(email) the primary (root user) email of the member account O(account_id), from the organization's
    management account, in two runs. AWS changes it only once the new address has proved it receives mail.
  - A run without O(otp) asks AWS to mail a one-time code to O(email) (StartPrimaryEmailUpdate) and reports
    RV(primary_email.state=pending). The owner of the new mailbox reads the code; a second run with O(otp) set to
    it gives it back (AcceptPrimaryEmailUpdate), and the root email is O(email) from then on - AWS answers
    V(ACCEPTED), and the change can take up to four hours to show everywhere, so that run reports
    RV(primary_email.state=accepted).
  - Reads GetPrimaryEmail once. When it already is O(email) (compared case-insensitively), nothing is sent and
    nothing changes. Otherwise it also reads the state of the account's most recent update
    (GetPrimaryEmailUpdateStatus).
  - While an update is pending and its code still valid (24 hours), a run without O(otp) sends no second code and
    reports no change. AWS does not say to which address that update was started, so it is taken to be O(email);
    set O(resend=true) to mail a new code (to a corrected address, or when the code was lost).
  - The password and the MFA devices of the root user stay as they are. Whoever controls the root email can reset
    the password.
author:
  - msp.aws_accounts developers (!UNKNOWN)
options:
  account_id:
    description:
      - The member account, 12 digits.
      - It must be a member of the caller's organization. AWS refuses the management account itself; only its
        root user can change its root email, in the console.
    type: str
    required: true
  email:
    description:
      - The new root user email.
      - Checked by the rules the Organizations API reference gives for an account's email, before any call - 6 to
        64 characters of 7-bit ASCII and exactly one V(@). Before the V(@), no whitespace, none of
        V("'(\)<>[]:;,\\|%&), and no V(.) at the start. After it, only letters, digits, V(-) and V(.), at least
        one V(.), and no V(-) or V(.) at the start or the end.
      - The Account API itself allows 5 characters, but the only addresses that short have a one-letter top-level
        domain, and none exists.
      - An address that is already the root email of another AWS account is refused by AWS; the module says so,
        with AWS's own words. Any other conflict AWS reports is given as AWS words it.
    type: str
    required: true
  otp:
    description:
      - The one-time code AWS mailed to O(email) after a run without it, 6 letters or digits. Spaces around it
        are ignored.
      - With it, the module gives the code to AWS. A wrong or expired code fails, naming O(otp); the root email
        stays as it was.
      - Unset, the module mails a code unless one is pending (see O(resend)).
    type: str
  resend:
    description:
      - Mail a new code even though an update is pending and its code still valid. The newest code is the one
        to give back.
      - Cannot be combined with O(otp).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description:
      - Predicts what a run does from the same reads and sends nothing, no code and no O(otp). RV(msg) says what
        a run would do.
      - With O(otp), check mode predicts the change without knowing whether AWS will take the code.
  diff_mode:
    support: full
    description:
      - Shows the root email before and after. A run that mails a code shows the address it went to as
        C(pending_email); the root email itself changes only when the code is given back.
notes:
  - AWS allows these calls only from the organization's management account (or a delegated administrator for
    Account Management), for member accounts, in an organization with all features and trusted access for
    V(account.amazonaws.com) (M(msp.aws_accounts.aws_trusted_access)). The caller needs
    C(account:GetPrimaryEmail), C(account:GetPrimaryEmailUpdateStatus), C(account:StartPrimaryEmailUpdate) and
    C(account:AcceptPrimaryEmailUpdate).
  - A botocore too old to know GetPrimaryEmailUpdateStatus cannot tell a pending update; the module then warns,
    and every run without O(otp) mails a new code.
  - AWS says a change to an account can take up to four hours to show everywhere. When GetPrimaryEmail still
    gives another address but the most recent update is V(ACCEPTED) since less than four hours, the change is
    taken to be arriving - a run sends nothing and reports RV(primary_email.state=accepted).
  - Throttling is retried, with botocore's standard retry mode.
seealso:
  - module: msp.aws_accounts.aws_member_account
  - module: msp.aws_accounts.aws_trusted_access
"""

EXAMPLES = r"""
# Handing an account over: the first run mails a code to the client's address, the client reads it from
# their mailbox, and a second run with the code makes the address the root email.
- name: Ask AWS to mail a code to the client's address (first run, without otp)
  msp.aws_accounts.aws_account_primary_email:
    account_id: "210987654321"
    email: it@acme.example
  register: root_email

- name: Say what to do next while the update waits for the code
  ansible.builtin.debug:
    msg: "{{ root_email.msg }}"
  when: root_email.primary_email.state == 'pending'

# ansible-playbook handover.yml -e client=acme -e root_email_otp=123456
- name: Give AWS the code the client read (second run)
  msp.aws_accounts.aws_account_primary_email:
    account_id: "210987654321"
    email: it@acme.example
    otp: "{{ root_email_otp }}"
  when: root_email_otp is defined

- name: The first code was lost, or went to a mistyped address - mail a new one
  msp.aws_accounts.aws_account_primary_email:
    account_id: "210987654321"
    email: it@acme.example
    resend: true
"""

RETURN = r"""
primary_email:
  description: The account's root email after the run (as predicted in check mode), and where its update stands.
  returned: success
  type: dict
  contains:
    account_id:
      description: The account.
      type: str
      returned: always
      sample: "210987654321"
    email:
      description:
        - The root email after the run. It is O(email) once this run's code was accepted; while a code is out it is
          still the old address. For a code an earlier run gave, still arriving, it is what GetPrimaryEmail gives.
      type: str
      returned: always
      sample: awsaccounts+acme@msp.example
    state:
      description:
        - V(updated) - the root email is O(email) - GetPrimaryEmail says so, or AWS answered this run's code with
          V(COMPLETED).
        - V(pending) - a code was mailed (by this run, or by an earlier one and still valid); run again with O(otp).
        - V(accepted) - AWS took a code and the change is still arriving - this run's (AcceptPrimaryEmailUpdate
          answered V(ACCEPTED) or V(PENDING), as it normally does; check mode predicts this too), or an earlier
          run's, within the last four hours. GetPrimaryEmail may give the old address for up to four hours. Nothing
          to do; a later run reports V(updated).
      type: str
      returned: always
      sample: pending
    code_sent:
      description: Whether this run mailed a code to O(email) (in check mode, whether it would).
      type: bool
      returned: always
      sample: true
msg:
  description:
    - What the run did and what to do next (for a pending update, to run again with O(otp)).
    - In check mode, what a run would do.
  returned: success
  type: str
  sample: >-
    AWS mailed a one-time code to it@acme.example to make it the root email of account 210987654321; the root
    email stays awsaccounts+acme@msp.example until the code is given back. Run again with otp set to that code
    (it is valid for 24 hours).
"""

from datetime import UTC, datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    quiet_access_key,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.primary_email import (
    ACCEPT,
    START,
    WRITES,
    accept_update,
    email_after,
    get_primary_email,
    get_update_status,
    message,
    primary_email_action,
    run_state,
    same_email,
    start_update,
    validate,
)

argument_spec = {
    "account_id": {"type": "str", "required": True},
    "email": {"type": "str", "required": True},
    "otp": {"type": "str", "no_log": True},
    "resend": {"type": "bool", "default": False},
}


def read(client, account_id, email):
    """GetPrimaryEmail, and the most recent update only when the email is not the one asked for."""
    current = get_primary_email(client, account_id)
    if same_email(current, email):
        return {"email": current, "update": None}, True
    update, known = get_update_status(client, account_id)
    return {"email": current, "update": update}, known


def ensure_present(client, account_id, desired, actual, check_mode):
    """Start or accept the update as primary_email_action decides. Returns (action, AcceptPrimaryEmailUpdate's
    Status or None, the email after)."""
    action = primary_email_action(desired, actual, datetime.now(UTC))
    accept_status = None
    if not check_mode:
        if action == START:
            start_update(client, account_id, desired["email"])
        elif action == ACCEPT:
            accept_status = accept_update(client, account_id, desired["email"], desired["otp"])
    return action, accept_status, email_after(action, desired["email"], actual["email"])


def diff_view(email, pending_email=None):
    view = {"email": email}
    if pending_email:
        view["pending_email"] = pending_email
    return view


def main():
    module = AnsibleAWSModule(argument_spec=quiet_access_key(argument_spec), supports_check_mode=True)
    params = module.params
    account_id = params["account_id"]
    try:
        otp = validate(account_id, params["email"], params["otp"], params["resend"])
        desired = {"email": params["email"], "otp": otp, "resend": params["resend"]}
        client = module.client("account", retry_decorator=concurrent_modification_retry, config=standard_retry_config())
        actual, known = read(client, account_id, params["email"])
        if not known:
            module.warn(
                "This botocore does not know GetPrimaryEmailUpdateStatus, so the module cannot tell whether a code "
                "is already out: a run without otp mails a new one. Upgrade botocore to avoid it."
            )
        action, accept_status, after = ensure_present(client, account_id, desired, actual, module.check_mode)
    except MspAwsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(
        changed=action in WRITES,
        primary_email={
            "account_id": account_id,
            "email": after,
            "state": run_state(action, accept_status),
            "code_sent": action == START,
        },
        msg=message(
            action,
            account_id,
            params["email"],
            actual["email"],
            actual["update"],
            check_mode=module.check_mode,
            accept_status=accept_status,
        ),
        diff={
            "before": diff_view(actual["email"]),
            "after": diff_view(after, params["email"] if action == START else None),
        },
    )


if __name__ == "__main__":
    main()
