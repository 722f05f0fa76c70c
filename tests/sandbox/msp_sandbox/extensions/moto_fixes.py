"""Fixes to moto itself.

``/moto-api/reset`` resets every backend but keeps ``organizations_backends.master_accounts``, the
map from member account to organization; after a reset, CreateOrganization from a former member
then fails with AlreadyInOrganizationException.  The reset here also clears that map and the
sandbox's own state.

Every IAM backend (one per account, created again at each reset) builds its ~1,600 AWS-managed
policies from moto's JSON, 0.1 s each time.  They are the same in every account of a partition, as
in AWS (same ARN, same PolicyId), so they are built once per partition and copied, with their own
mutable parts (attachment count, tags, versions list).

moto takes an error's HTTP status from the service model; an extension's error whose code the
model lacks (STS's AccessDenied, HTTP 403 in AWS) carries its own status, applied here.
"""

import copy

from .. import accounts, clock, settings

REQUIRED_INTERNALS = [
    "moto.moto_api._internal.models.MotoAPIBackend.reset",
    "moto.organizations.models.organizations_backends",
    "moto.iam.models.IAMBackend._init_aws_policies",
    "moto.core.responses.BaseResponse.serialized",
    "moto.core.responses.ActionResult.result",
]

_managed_policy_prototypes: dict[str, list] = {}

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.moto_api._internal.models import MotoAPIBackend

    original_reset = MotoAPIBackend.reset

    def reset_with_organizations(self) -> None:
        from moto.organizations.models import organizations_backends

        from . import reset_all

        original_reset(self)
        organizations_backends.master_accounts.clear()
        accounts.reset()
        clock.reset()
        settings.reset()
        reset_all()

    MotoAPIBackend.reset = reset_with_organizations

    from moto.iam.models import IAMBackend

    build_aws_policies = IAMBackend._init_aws_policies

    def copy_aws_policies(self) -> list:
        prototypes = _managed_policy_prototypes.get(self.partition)
        if prototypes is None:
            prototypes = _managed_policy_prototypes[self.partition] = build_aws_policies(self)
        policies = []
        for prototype in prototypes:
            policy = copy.copy(prototype)
            policy.account_id = self.account_id
            policy.attachment_count = 0
            policy.tags = dict(prototype.tags)
            policy.versions = list(prototype.versions)
            policies.append(policy)
        return policies

    IAMBackend._init_aws_policies = copy_aws_policies

    from moto.core.responses import BaseResponse

    from ..errors import AwsError

    serialize = BaseResponse.serialized

    def serialized_with_aws_status(self, action_result):
        status, headers, body = serialize(self, action_result)
        error = action_result.result
        if isinstance(error, AwsError) and error.http_status:
            status = error.http_status
        return status, headers, body

    BaseResponse.serialized = serialized_with_aws_status
    _installed = True


def reset() -> None:
    """Nothing of its own to forget."""
