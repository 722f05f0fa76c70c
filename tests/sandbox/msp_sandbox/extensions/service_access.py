"""Trusted access (EnableAWSServiceAccess, DisableAWSServiceAccess, ListAWSServiceAccessForOrganization) with the
callers and pages AWS allows.

moto 5.2.5 keeps the enabled service principals in the caller's own Organizations backend and checks nothing
about the caller: from a member account or an account outside any organization, EnableAWSServiceAccess
succeeds (into that account's own, unused list) and ListAWSServiceAccessForOrganization answers an empty list;
the list also ignores MaxResults.  Here, as the API reference says:

- Enable and Disable can only be called from the management account: a member account gets
  AccessDeniedException, an account in no organization AWSOrganizationsNotInUseException;
- the list can be called from the management account or a member that is a delegated administrator (moto's
  RegisterDelegatedAdministrator, for any service), which gets the organization's list; any other member
  AccessDeniedException (organization_reads, as for every organization-wide read);
- Enable and Disable need an organization with all features: AWS documents no error for one with consolidated
  billing only, the sandbox answers ConstraintViolationException with Reason ORGANIZATION_NOT_IN_ALL_FEATURES_MODE
  (the model's reason for "an operation that requires the organization to be configured to support all
  features");
- an unrecognised principal is InvalidInputException with Reason UNRECOGNIZED_SERVICE_PRINCIPAL (moto gives no
  Reason);
- the list comes in pages of MaxResults (1 to 20, AWS's model; 20 when not given) with a NextToken.

Enabling a principal that is enabled, or disabling one that is not, changes nothing and succeeds, as in moto.
"""

from ..errors import AwsError
from .create_account import management_backend, paginate

REQUIRED_INTERNALS = [
    "moto.organizations.models.OrganizationsBackend.enable_aws_service_access",
    "moto.organizations.models.OrganizationsBackend.disable_aws_service_access",
    "moto.organizations.models.OrganizationsBackend.list_aws_service_access_for_organization",
    "moto.organizations.models.FakeServiceAccess.trusted_service",
    "moto.organizations.responses.OrganizationsResponse.list_aws_service_access_for_organization",
]

_installed = False


def _check_principal(principal) -> None:
    from moto.organizations.models import FakeServiceAccess

    if not FakeServiceAccess.trusted_service(principal):
        raise AwsError(
            "InvalidInputException",
            "You specified a service principal that isn't recognized.",
            Reason="UNRECOGNIZED_SERVICE_PRINCIPAL",
        )


def _management_write(original):
    def write(self, **kwargs):
        backend = management_backend(self.account_id, self.partition)
        if backend.org.feature_set != "ALL":
            raise AwsError(
                "ConstraintViolationException",
                "You attempted to perform an operation that requires the organization to be configured to support "
                "all features. An organization that supports only consolidated billing features can't perform this "
                "operation.",
                Reason="ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
            )
        _check_principal(kwargs.get("ServicePrincipal"))
        return original(backend, **kwargs)

    return write


def trusted_services() -> list[str]:
    """The service principals the sandbox accepts for trusted access (moto's list, and what extensions add to it
    once installed), sorted; tests take many of them to fill more than one page."""
    from moto.organizations.models import FakeServiceAccess

    return sorted(p for p in FakeServiceAccess.TRUSTED_SERVICES if not p.endswith("."))


def list_aws_service_access_for_organization(self) -> str:
    import json

    backend = self.organizations_backend  # the organization's, for its callers only (organization_reads)
    params = self.request_params
    enabled = backend.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    page, token = paginate(list(enabled), params.get("NextToken"), params.get("MaxResults"))
    result = {"EnabledServicePrincipals": page}
    if token:
        result["NextToken"] = token
    return json.dumps(result)


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.organizations.models import OrganizationsBackend
    from moto.organizations.responses import OrganizationsResponse

    OrganizationsBackend.enable_aws_service_access = _management_write(OrganizationsBackend.enable_aws_service_access)
    OrganizationsBackend.disable_aws_service_access = _management_write(OrganizationsBackend.disable_aws_service_access)
    OrganizationsResponse.list_aws_service_access_for_organization = list_aws_service_access_for_organization
    _installed = True


def reset() -> None:
    """No state of its own: the enabled principals are moto's, in the management account's backend."""
