# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The engineers' side in the main account: ``engineer_group_policies`` and ``engineer_access_plan``.

Their documentation is engineer_group_policies.yml and engineer_access_plan.yml, next to this file; the
rules live in module_utils/engineer_access.py.
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import (
    DEFAULT_MAX_POLICIES_PER_GROUP,
    POLICY_PATH,
    access_plan,
    engineer_problems,
    group_policies,
)


def engineer_group_policies(
    clients,
    groups,
    partition="aws",
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
    engineers=None,
    policy_path=POLICY_PATH,
):
    """Each engineers' group with the managed policies that let it assume exactly its clients' roles."""
    try:
        return group_policies(
            clients or [],
            groups or [],
            partition,
            max_policies=int(max_policies),
            engineers=engineers,
            policy_path=policy_path,
        )
    except InvalidInput as e:
        raise AnsibleFilterError(f"engineer_group_policies: {e.option}: {e.rule}") from e
    except (KeyError, TypeError, AttributeError) as e:
        raise AnsibleFilterError(f"engineer_group_policies: a client or group entry is malformed: {e!r}") from e


def engineer_access_plan(
    group_policies_,
    engineers,
    actual,
    account_id,
    partition="aws",
    max_policies=DEFAULT_MAX_POLICIES_PER_GROUP,
    policy_path=POLICY_PATH,
    keep_account_ids=None,
    own_account_ids=None,
):
    """What to write in the identity account, from the groups' policies, the engineers and what it holds."""
    problems = engineer_problems(engineers or [], [{"name": g["name"]} for g in group_policies_ or []])
    if problems:
        raise AnsibleFilterError(f"engineer_access_plan: {problems[0][0]}: {problems[0][1]}")
    try:
        return access_plan(
            group_policies_ or [],
            engineers or [],
            actual or {},
            str(account_id),
            partition,
            max_policies=int(max_policies),
            policy_path=policy_path,
            keep_account_ids=None if keep_account_ids is None else [str(a) for a in keep_account_ids],
            own_account_ids=[str(a) for a in own_account_ids or []],
        )
    except InvalidInput as e:
        raise AnsibleFilterError(f"engineer_access_plan: {e.option}: {e.rule}") from e
    except (KeyError, TypeError, AttributeError) as e:
        raise AnsibleFilterError(f"engineer_access_plan: an entry is malformed: {e!r}") from e


class FilterModule:
    def filters(self):
        return {"engineer_group_policies": engineer_group_policies, "engineer_access_plan": engineer_access_plan}
