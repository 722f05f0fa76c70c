# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Centralised root access in the organization, from the management account: trusted access for IAM
(``iam.amazonaws.com``, through :mod:`trusted_access`) and IAM's two organization features,
RootCredentialsManagement (audit and delete the root user's credentials of member accounts) and RootSessions
(privileged root sessions in member accounts, STS AssumeRoot).

Pure: :func:`desired_root_access` (the options, validated) and :func:`root_access_actions` (the calls that make
the organization so, in order), shared by the module and its check mode. The features can only be read and
changed while IAM has trusted access (ListOrganizationsFeatures answers ServiceAccessNotEnabledException
otherwise), so trusted access is enabled first and disabled last; without it no feature is in effect.
"""

import time

try:
    import botocore
except ImportError:
    pass  # The modules report a missing botocore through AnsibleAWSModule.

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, error_code

IAM_PRINCIPAL = "iam.amazonaws.com"
ROOT_CREDENTIALS_MANAGEMENT = "RootCredentialsManagement"
ROOT_SESSIONS = "RootSessions"
# The module's option for each feature, in the order the features are enabled.
FEATURE_OPTIONS = (("root_credentials_management", ROOT_CREDENTIALS_MANAGEMENT), ("root_sessions", ROOT_SESSIONS))
FEATURES = tuple(feature for _option, feature in FEATURE_OPTIONS)
ENABLE_TRUSTED_ACCESS = "EnableAWSServiceAccess"
DISABLE_TRUSTED_ACCESS = "DisableAWSServiceAccess"
# IAM learns of the trusted access Organizations just granted it a moment later (eventual consistency): the features
# read right after enabling it is tried again after these pauses (15 seconds in all) while IAM still answers
# ServiceAccessNotEnabledException. Nothing else is retried here.
FEATURES_AFTER_ENABLING_DELAYS = (1, 2, 4, 8)


def feature_action(feature, enable):
    """The IAM call that enables or disables a feature: EnableOrganizationsRootSessions..."""
    return f"{'Enable' if enable else 'Disable'}Organizations{feature}"


def desired_root_access(state, root_credentials_management=None, root_sessions=None, disable_trusted_access=False):
    """What the options ask for: ``{"trusted_access": True, False or None (leave it), "features": {feature:
    bool}}`` with only the features to converge. InvalidInput names the option of a contradiction."""
    options = {"root_credentials_management": root_credentials_management, "root_sessions": root_sessions}
    if state == "present":
        if disable_trusted_access:
            raise InvalidInput(
                "disable_trusted_access",
                "goes with state=absent only: state=present needs trusted access for iam.amazonaws.com",
            )
        features = {feature: options[option] for option, feature in FEATURE_OPTIONS if options[option] is not None}
        return {"trusted_access": True, "features": features}
    for option, _feature in FEATURE_OPTIONS:
        if options[option]:
            raise InvalidInput(option, "cannot be true with state=absent, which disables both features")
    return {"trusted_access": False if disable_trusted_access else None, "features": dict.fromkeys(FEATURES, False)}


def root_access_actions(desired, actual):
    """The calls that make ``actual`` (``{"trusted_access": bool, "enabled_features": [...]}``) what ``desired``
    asks for, in order: trusted access first when it is enabled, the features, trusted access last when it is
    disabled. Without trusted access no feature is in effect, so none is disabled then."""
    actions = []
    trusted = actual["trusted_access"]
    if desired["trusted_access"] is True and not trusted:
        actions.append(ENABLE_TRUSTED_ACCESS)
        trusted = True
    if trusted:
        enabled = set(actual["enabled_features"])
        for feature in FEATURES:
            wanted = desired["features"].get(feature)
            if wanted is not None and wanted != (feature in enabled):
                actions.append(feature_action(feature, wanted))
    if desired["trusted_access"] is False and actual["trusted_access"]:
        actions.append(DISABLE_TRUSTED_ACCESS)
    return actions


def root_access_after(actual, actions):
    """The organization's root access once ``actions`` are done (what check mode predicts)."""
    trusted = actual["trusted_access"]
    enabled = set(actual["enabled_features"]) if trusted else set()
    for action in actions:
        if action in (ENABLE_TRUSTED_ACCESS, DISABLE_TRUSTED_ACCESS):
            trusted = action == ENABLE_TRUSTED_ACCESS
            continue
        for feature in FEATURES:
            if action == feature_action(feature, True):
                enabled.add(feature)
            elif action == feature_action(feature, False):
                enabled.discard(feature)
    return {"trusted_access": trusted, "enabled_features": sorted(enabled) if trusted else []}


# --- the calls ------------------------------------------------------------------------------------------------

ROOT_ACCESS_HINT = (
    "run msp.aws_accounts.aws_root_access from the management account with root_credentials_management: true "
    "and root_sessions: true"
)


def _failure(e, action):
    """IAM's refusal of a feature call, in words that say what to do. The API reference names the errors without
    the Exception suffix botocore's model gives them: both are recognised."""
    code = (error_code(e) or "").removesuffix("Exception")
    if code in ("CallerIsNotManagementAccount", "AccountNotManagementOrDelegatedAdministrator"):
        return MspAwsError(
            message=(
                f"{action} was refused: only the organization's management account (or, except to enable, IAM's "
                "delegated administrator) manages centralised root access; use the management account's credentials"
            ),
            exception=e,
        )
    if code == "OrganizationNotFound":
        return MspAwsError(
            message=f"{action} failed: the caller's account is in no AWS Organization; use the management account's "
            "credentials",
            exception=e,
        )
    if code == "OrganizationNotInAllFeaturesMode":
        return MspAwsError(
            message=(
                f"{action} was refused: the organization has consolidated billing features only, and centralised root "
                "access needs all features (aws organizations enable-all-features; every member account must approve)"
            ),
            exception=e,
        )
    if code == "ServiceAccessNotEnabled":
        return MspAwsError(
            message=f"{action} was refused: the organization has no trusted access for {IAM_PRINCIPAL}; "
            + ROOT_ACCESS_HINT,
            exception=e,
        )
    if code in ("AccessDenied", "AccessDeniedException"):
        return MspAwsError(
            message=f"{action} was refused: the caller needs permission for iam:{action} (and no SCP may deny it)",
            exception=e,
        )
    return MspAwsError(message=f"{action} failed", exception=e)


def list_features(iam_client):
    """The features enabled in the organization, sorted (ListOrganizationsFeatures; needs trusted access for IAM)."""
    try:
        return sorted(iam_client.list_organizations_features(aws_retry=True).get("EnabledFeatures", []))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, "ListOrganizationsFeatures") from e


def set_feature(iam_client, action):
    """One Enable/DisableOrganizations* call, by its action name (from :func:`root_access_actions`)."""
    try:
        getattr(iam_client, botocore.xform_name(action))(aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure(e, action) from e


def list_features_after_enabling(iam_client, delays=FEATURES_AFTER_ENABLING_DELAYS, sleep=time.sleep):
    """:func:`list_features` right after trusted access for IAM was enabled: tried again after each of ``delays``
    while IAM still answers ServiceAccessNotEnabled (it has not learnt of its trusted access yet). Any other error
    is raised at once."""
    pauses = list(delays)
    while True:
        try:
            return list_features(iam_client)
        except MspAwsError as e:
            if (error_code(e.exception) or "").removesuffix("Exception") != "ServiceAccessNotEnabled":
                raise
            if not pauses:
                raise MspAwsError(
                    message=(
                        "ListOrganizationsFeatures still answered that IAM has no trusted access "
                        f"{sum(delays)} seconds after trusted access for {IAM_PRINCIPAL} was enabled; AWS may need "
                        "longer to propagate it: run again (trusted access stays enabled)"
                    ),
                    exception=e.exception,
                ) from e
        sleep(pauses.pop(0))
