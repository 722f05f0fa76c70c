# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The options of modules that work inside a client's account (plugins/module_utils/sts.py ACCESS_ARGUMENT_SPEC).
    DOCUMENTATION = r"""
options:
  account_id:
    description:
      - The client account to work in, reached by assuming O(access_role_name) in it from the credentials
        given (normally the management account's).
      - Leave it unset when the connection options already point into the client account; then no role is assumed.
      - Right after the account was created AWS refuses the access role for minutes; the module retries
        AccessDenied for up to O(access_timeout) seconds, then fails saying so.
    type: str
  access_role_name:
    description:
      - The role assumed in O(account_id). Organizations creates V(OrganizationAccountAccessRole) in the accounts
        it creates.
    type: str
    default: OrganizationAccountAccessRole
  access_external_id:
    description:
      - The ExternalId the access role demands, if any.
    type: str
  access_timeout:
    description:
      - Seconds to keep retrying AccessDenied from the access role before failing.
      - Only AccessDenied is retried; other errors (such as InvalidClientTokenId, when the credentials themselves are
        bad) fail at once.
    type: int
    default: 300
"""
