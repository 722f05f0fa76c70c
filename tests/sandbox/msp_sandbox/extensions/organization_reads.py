"""Organization-wide reads: who may make them, and an organization that is up to date when they answer.

The API reference says of ListRoots, ListAccounts, ListAccountsForParent, ListOrganizationalUnitsForParent,
ListChildren, ListParents, DescribeAccount, DescribeOrganizationalUnit, ListTagsForResource,
DescribeCreateAccountStatus, ListCreateAccountStatus and the other reads in ``READS``: "You can only call this
operation from the management account or a member account that is a delegated administrator."  A member that is
not one gets AccessDeniedException "You don't have permissions to access this resource." (the message AWS answers,
e.g. to ListRoots or ListAccounts from a member).  DescribeOrganization, DescribeHandshake,
ListHandshakesForAccount and DescribeEffectivePolicy stay open to members.

moto 5.2.5 answers each call from the caller's own backend and checks nothing: a member's ListRoots answers the
organization's roots, its ListAccounts an empty list, its ListAccountsForParent ParentNotFoundException, and a
delegated administrator is treated as any member.  Here every read in ``READS``:

- from the management account, answers from its organization;
- from a member registered as a delegated administrator (moto's RegisterDelegatedAdministrator, for any service),
  answers from the organization, as the management account would;
- from any other member, is AccessDeniedException; from an account in no organization,
  AWSOrganizationsNotInUseException;
- first brings the organization up to date on the sandbox clock: CreateAccount requests that are due finish
  (create_account.advance_all) and accounts PENDING_CLOSURE long enough become SUSPENDED
  (account_management.finish_closures).  So ListAccountsForParent, ListChildren, ListParents, DescribeAccount and
  ListAccounts always agree on which accounts exist and in which state.

The check sits in moto's ``OrganizationsResponse.organizations_backend``, which every response method of moto's
(and the extensions' replacements that use it) reads to find its backend.  Actions moto does not implement never
reach it and keep moto's answer.
"""

from .. import accounts
from ..errors import AwsError

REQUIRED_INTERNALS = [
    "moto.organizations.responses.OrganizationsResponse.organizations_backend",
    "moto.core.responses.BaseResponse._get_action",
    "moto.organizations.models.organizations_backends",
]

ACCESS_DENIED = "You don't have permissions to access this resource."

# Every Organizations read whose API reference says "You can only call this operation from the management account
# or a member account that is a delegated administrator" (botocore's model; tests/test_organization_reads.py
# checks the list against it).
READS = frozenset(
    {
        "DescribeAccount",
        "DescribeCreateAccountStatus",
        "DescribeOrganizationalUnit",
        "DescribePolicy",
        "DescribeResourcePolicy",
        "ListAWSServiceAccessForOrganization",
        "ListAccounts",
        "ListAccountsForParent",
        "ListAccountsWithInvalidEffectivePolicy",
        "ListChildren",
        "ListCreateAccountStatus",
        "ListDelegatedAdministrators",
        "ListDelegatedServicesForAccount",
        "ListEffectivePolicyValidationErrors",
        "ListHandshakesForOrganization",
        "ListOrganizationalUnitsForParent",
        "ListParents",
        "ListPolicies",
        "ListPoliciesForTarget",
        "ListRoots",
        "ListTagsForResource",
        "ListTargetsForPolicy",
    }
)

_installed = False


def reading_backend(account_id: str, partition: str):
    """The Organizations backend the caller reads the organization from: its own if it is the management account,
    the organization's if it is a delegated administrator of it; otherwise the error AWS gives."""
    from moto.organizations.models import organizations_backends

    own = organizations_backends[account_id][partition]
    if own.org is not None:
        return own
    organization = accounts.organization_of(account_id)
    if organization is None:
        raise AwsError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
    if any(admin.account.id == account_id for admin in organization.admins):
        return organization
    raise AwsError("AccessDeniedException", ACCESS_DENIED)


def bring_up_to_date(backend) -> None:
    """Finish what is due on the sandbox clock in ``backend``'s organization: CreateAccount requests, closures."""
    from . import account_management, create_account

    create_account.advance_all(backend.account_id)
    account_management.finish_closures()


def _organizations_backend(self):
    """moto's ``organizations_backend`` property, with AWS's callers and an up-to-date organization for READS."""
    from moto.organizations.models import organizations_backends

    if self._get_action() not in READS:
        return organizations_backends[self.current_account][self.partition]
    backend = reading_backend(self.current_account, self.partition)
    bring_up_to_date(backend)
    return backend


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.organizations.responses import OrganizationsResponse

    OrganizationsResponse.organizations_backend = property(_organizations_backend)
    _installed = True


def reset() -> None:
    """No state of its own."""
