# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The console's switch-role link and the ``~/.aws/config`` profile for a cross-account role.

The link is ``https://<sign-in host>/switchrole?account=…&roleName=…&displayName=…&color=…``. Its
roleName is the role's path (without the leading slash) and name, which the console accepts only up to
64 characters. ``color`` is six hex digits without ``#``. The console cannot pass an ExternalId, so a
role that demands one gets no link.
"""

import re
from urllib.parse import quote, urlencode

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.msp.aws_accounts.plugins.module_utils.policies import (
    external_ids,
    requires_external_id,
    requires_mfa,
)

SIGNIN_HOSTS = {
    "aws": "signin.aws.amazon.com",
    "aws-cn": "signin.amazonaws.cn",
    "aws-us-gov": "signin.amazonaws-us-gov.com",
}
LINK_ROLE_NAME_MAX_LENGTH = 64
DISPLAY_NAME_MAX_LENGTH = 64
COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
# Filled in by whoever writes the profile into a user's ~/.aws/config: the user's own profile and MFA device.
SOURCE_PROFILE_PLACEHOLDER = "<source_profile>"
MFA_SERIAL_PLACEHOLDER = "<mfa_serial>"


def link_role_name(path, name):
    """The role as the console's Switch Role names it: path without its leading '/', then the name."""
    return f"{(path or '/').lstrip('/')}{name}"


def link_role_name_problem(path, name):
    length = len(link_role_name(path, name))
    if length > LINK_ROLE_NAME_MAX_LENGTH:
        return (
            f"path and name together are {length} characters; the console's Switch Role accepts at most "
            f"{LINK_ROLE_NAME_MAX_LENGTH}. Shorten them, or give the role an external_id (automation roles get no link)"
        )
    return None


def color_problem(color):
    if color is not None and not COLOR.match(color):
        return f"{color!r} must be six hex digits without '#', like 'F2B0A9'"
    return None


def display_name_problem(display_name):
    if display_name is not None and not 0 < len(display_name) <= DISPLAY_NAME_MAX_LENGTH:
        return f"must be 1 to {DISPLAY_NAME_MAX_LENGTH} characters long, not {len(display_name)}"
    return None


def default_display_name(name, account_id):
    """What the console itself shows for a switched role: 'name @ account'."""
    return f"{name} @ {account_id}"[:DISPLAY_NAME_MAX_LENGTH]


def switch_role_url(partition, account_id, path, name, display_name=None, color=None):
    """The switch-role link, or None for a partition without a console sign-in host (aws-iso*)."""
    host = SIGNIN_HOSTS.get(partition)
    if host is None:
        return None
    params = {
        "account": account_id,
        "roleName": link_role_name(path, name),
        "displayName": display_name or default_display_name(name, account_id),
    }
    if color:
        params["color"] = color
    # quote (not quote_plus): a space is %20 in every browser; '/' stays readable between path and name.
    return f"https://{host}/switchrole?{urlencode(params, safe='/', quote_via=quote)}"


def cli_profile(role_arn, require_mfa, external_id=None, color=None):
    """The ``~/.aws/config`` keys for a profile that assumes the role; placeholders for the user's own parts."""
    profile = {"role_arn": role_arn, "source_profile": SOURCE_PROFILE_PLACEHOLDER}
    if require_mfa:
        profile["mfa_serial"] = MFA_SERIAL_PLACEHOLDER
    if external_id:
        profile["external_id"] = external_id
    if color:
        # aws-extend-switch-roles reads the colour from the same profile.
        profile["color"] = color
    return profile


def links(role, display_name=None, color=None):
    """``(switch_role_url, cli_profile)`` of a role (``arn``, ``path``, ``name``, ``trust_policy``).

    Only the statements that allow sts:AssumeRole count. A role that demands an ExternalId in every one
    of them gets no link (the console cannot pass one); a role without an ARN yet gets neither.
    """
    arn = role.get("arn")
    if not arn:
        return None, None
    trust = role["trust_policy"]
    demanded = external_ids(trust)
    profile = cli_profile(arn, requires_mfa(trust), demanded[0] if demanded else None, color)
    if requires_external_id(trust):
        return None, profile
    parsed = parse_aws_arn(arn)
    return (
        switch_role_url(parsed["partition"], parsed["account_id"], role["path"], role["name"], display_name, color),
        profile,
    )
