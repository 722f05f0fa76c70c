# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Trusted access of AWS services in the organization (Organizations' service access), from the management account.

Pure: :func:`desired_principals` (the option, validated, each principal once) and :func:`service_access_changes`
(what to enable or disable); the module, its check mode and the roles share them. The calls: one paginated
ListAWSServiceAccessForOrganization, and EnableAWSServiceAccess / DisableAWSServiceAccess per principal that
differs. AWS's refusals become errors that say what to do: only the management account manages trusted access
(AccessDeniedException), the caller may be in no organization (AWSOrganizationsNotInUseException), the
organization may have consolidated billing only (ConstraintViolationException), or AWS may not know the service
(InvalidInputException).

Only the principals asked for are ever touched: disabling another tool's trusted access can break that tool
(AWS advises disabling through the service's own console or commands, so it can clean up).
"""

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import MspAwsError, error_code
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import require_service_principal

# ListAWSServiceAccessForOrganization's MaxResults may be 1 to 20 (the botocore model): 20 makes the fewest calls.
LIST_PAGE_SIZE = 20
SERVICES_LIST_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html"


def desired_principals(principals, option="service_principals"):
    """The principals asked for, validated (InvalidInput names the option), each once, in the order given."""
    unique = []
    for principal in principals or []:
        require_service_principal(principal, option)
        if principal not in unique:
            unique.append(principal)
    return unique


def service_access_changes(desired, enabled, state):
    """The principals of ``desired`` to enable (state present: those not in ``enabled``) or disable (state
    absent: those in ``enabled``), in the order asked. Principals not in ``desired`` are never touched."""
    enabled = set(enabled)
    if state == "present":
        return [principal for principal in desired if principal not in enabled]
    return [principal for principal in desired if principal in enabled]


def enabled_after(enabled, changed, state):
    """The organization's enabled principals once ``changed`` is applied (what check mode predicts), sorted."""
    after = set(enabled)
    if state == "present":
        after.update(changed)
    else:
        after.difference_update(changed)
    return sorted(after)


def _failure(e, action, principal=None):
    """AWS's refusal of a service-access call, as an error that says why and what to do."""
    what = f"{action} {principal}" if principal else action
    code = error_code(e)
    if code == "AccessDeniedException":
        who = "management account" if principal else "management account (or a delegated administrator, to read)"
        return MspAwsError(
            message=(
                f"{what} was refused: only the organization's {who} manages trusted access. Use the management "
                f"account's credentials, with permission for organizations:{action}"
            ),
            exception=e,
        )
    if code == "AWSOrganizationsNotInUseException":
        return MspAwsError(
            message=f"{what} failed: the caller's account is in no AWS Organization; use the management account's "
            "credentials",
            exception=e,
        )
    if code == "ConstraintViolationException":
        reason = (getattr(e, "response", None) or {}).get("Reason")
        if reason == "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE":
            return MspAwsError(
                message=(
                    f"{what} was refused: the organization has consolidated billing features only, and trusted "
                    "access needs all features (aws organizations enable-all-features; every member account must "
                    "approve)"
                ),
                exception=e,
            )
        return MspAwsError(
            message=f"{what} was refused by a constraint of the organization ({reason or 'AWS gave no reason'})",
            exception=e,
        )
    if code == "InvalidInputException" and principal:
        return MspAwsError(
            message=(
                f"service_principals: AWS does not know {principal} as a service that supports trusted access "
                f"(the services are listed at {SERVICES_LIST_URL})"
            ),
            exception=e,
        )
    return MspAwsError(message=f"{what} failed", exception=e)


def list_enabled_principals(client):
    """The service principals with trusted access in the organization, sorted (all pages, one call per 20)."""
    try:
        paginator = client.get_paginator("list_aws_service_access_for_organization")
        pages = paginator.paginate(PaginationConfig={"PageSize": LIST_PAGE_SIZE})
        enabled = pages.build_full_result()["EnabledServicePrincipals"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "ListAWSServiceAccessForOrganization") from e
    return sorted(entry["ServicePrincipal"] for entry in enabled)


def set_service_access(client, principal, enable):
    """EnableAWSServiceAccess or DisableAWSServiceAccess for one principal. The client's decorator retries
    ConcurrentModificationException: AWS did not act on a call it refused so."""
    action = "EnableAWSServiceAccess" if enable else "DisableAWSServiceAccess"
    call = client.enable_aws_service_access if enable else client.disable_aws_service_access
    try:
        call(ServicePrincipal=principal, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, action, principal) from e
