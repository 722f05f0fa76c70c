# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Organizational units by path: ``Clients/Production`` below the root, or an id (``ou-…``, ``r-…``).

AWS knows OUs only by id and by name within a parent, so a path is resolved level by level from the
root. The parsing and the level-by-level walk are pure (``resolve_path`` takes a function that lists
a parent's OUs); :class:`OrganizationTree` feeds them from AWS, listing each parent once per run.
"""

import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, compare_aws_tags

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput, MspAwsError, tags_after
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    child_organizational_units,
    describe_organizational_unit,
    parent_of,
    root_of,
    translated_errors,
)

ROOT_PATH = "/"
OU_NAME_MAX_LENGTH = 128
# From the Organizations API reference (ParentId, OrganizationalUnitId).
OU_ID_PATTERN = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ROOT_ID_PATTERN = re.compile(r"^r-[0-9a-z]{4,32}$")
MISSING_OU_HINT = "create it first with msp.aws_accounts.aws_organizational_unit"
# After DuplicateOrganizationalUnitException the OU exists, but ListOrganizationalUnitsForParent may not show it
# yet (eventual consistency): list the parent again this many times, waiting longer each time.
RELIST_ATTEMPTS = 4
RELIST_FIRST_DELAY = 0.5


def is_parent_id(value):
    return bool(OU_ID_PATTERN.match(value) or ROOT_ID_PATTERN.match(value))


def parse_path(path, option="path"):
    """The OU names of a path, top first: ``Clients/Production`` and ``/Clients/Production/`` both give
    ``("Clients", "Production")``; ``/`` (or an empty path) is the root, ``()``."""
    if not isinstance(path, str):
        raise InvalidInput(option, "must be an OU path like Clients/Production, or an OU or root id")
    stripped = path.strip("/")
    if not stripped:
        return ()
    names = tuple(stripped.split("/"))
    for name in names:
        if not name.strip():
            raise InvalidInput(option, f"{path!r} has an empty level: separate OU names with single '/'")
        if len(name) > OU_NAME_MAX_LENGTH:
            raise InvalidInput(option, f"OU name {name[:20]!r}… is longer than {OU_NAME_MAX_LENGTH} characters")
    return names


def format_path(names):
    return ROOT_PATH + "/".join(names)


def parse_parent(value, option="parent"):
    """``("id", value)`` for an OU or root id, else ``("path", names)``."""
    if isinstance(value, str) and is_parent_id(value):
        return "id", value
    return "path", parse_path(value, option)


def find_child(children, name):
    """The OU named exactly ``name`` among ``children`` (AWS refuses two OUs of one name in a parent)."""
    return next((ou for ou in children if ou["Name"] == name), None)


def resolve_path(names, root_id, children_of):
    """Walk ``names`` down from the root. Returns ``(found, missing)``: the existing levels as
    ``[(path, ou), …]`` and the names below the deepest existing level that do not exist yet."""
    found = []
    parent_id = root_id
    for depth, name in enumerate(names):
        ou = find_child(children_of(parent_id), name)
        if ou is None:
            return found, list(names[depth:])
        found.append((format_path(names[: depth + 1]), ou))
        parent_id = ou["Id"]
    return found, []


def tag_changes(current, desired, purge_tags):
    """``(to_set, keys_to_unset, tags after)`` for declared ``desired`` tags (None: leave them alone); keys
    starting ``aws:`` are never purged (compare_aws_tags)."""
    if desired is None:
        return {}, [], dict(current)
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags)
    return to_set, to_unset, tags_after(current, to_set, to_unset)


def missing_parent_message(option, path, missing):
    return f"{option}: organizational unit {path} does not exist ({'/'.join(missing)} is missing); {MISSING_OU_HINT}"


class OrganizationTree:
    """The organization's OUs as far as this run has needed them: each parent is listed at most once,
    and the path of every OU seen is remembered, so resolving and describing cost one walk."""

    def __init__(self, client, sleep=time.sleep):
        self.client = client
        self.sleep = sleep
        self._root = None
        self._children = {}
        self._paths = {}

    @property
    def root(self):
        if self._root is None:
            self._root = root_of(self.client)
            self._paths[self._root["Id"]] = ROOT_PATH
        return self._root

    def children(self, parent_id):
        if parent_id not in self._children:
            self._children[parent_id] = child_organizational_units(self.client, parent_id)
        return self._children[parent_id]

    def forget_children(self, parent_id):
        """Another writer may have added an OU here: list it again next time."""
        self._children.pop(parent_id, None)

    def resolve(self, names):
        found, missing = resolve_path(names, self.root["Id"], self.children)
        for path, ou in found:
            self._paths[ou["Id"]] = path
        return found, missing

    def remember(self, ou_id, path):
        self._paths[ou_id] = path

    def path_of(self, parent_id):
        """The path of a root or OU id, walking up through its parents when this run has not seen it."""
        if parent_id == self.root["Id"]:
            return ROOT_PATH
        if parent_id in self._paths:
            return self._paths[parent_id]
        ou = describe_organizational_unit(self.client, parent_id)
        if ou is None:
            return None
        above = self.path_of(parent_of(self.client, parent_id)["Id"])
        path = f"{above.rstrip('/')}/{ou['Name']}"
        self._paths[parent_id] = path
        return path

    def parent(self, value, option="parent"):
        """The existing root or OU that ``value`` (path or id) names, as ``{"id", "path"}``; a clear error,
        naming aws_organizational_unit, when it does not exist."""
        kind, target = parse_parent(value, option)
        if kind == "id" and ROOT_ID_PATTERN.match(target) and target != self.root["Id"]:
            raise MspAwsError(
                message=(
                    f"{option}: {target} is not this organization's root ({self.root['Id']}); name the root as / "
                    f"or an OU by its path or id ({MISSING_OU_HINT})"
                )
            )
        if kind == "id":
            path = self.path_of(target)
            if path is None:
                raise MspAwsError(message=f"{option}: organizational unit {target} does not exist; {MISSING_OU_HINT}")
            return {"id": target, "path": path}
        if not target:
            return {"id": self.root["Id"], "path": ROOT_PATH}
        found, missing = self.resolve(target)
        if missing:
            raise MspAwsError(message=missing_parent_message(option, format_path(target), missing))
        path, ou = found[-1]
        return {"id": ou["Id"], "path": path}

    def create_child(self, parent_id, name, tags=None):
        """CreateOrganizationalUnit. Returns ``(ou, created)``: ``created`` is false when another run created
        it first (DuplicateOrganizationalUnitException), and that OU, listed again until it shows (a bounded
        number of times), is the one wanted."""
        params = {"ParentId": parent_id, "Name": name}
        if tags:
            params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        try:
            with translated_errors(f"Failed to create organizational unit {name} in {parent_id}"):
                try:
                    return self.client.create_organizational_unit(aws_retry=True, **params)["OrganizationalUnit"], True
                except is_boto3_error_code("DuplicateOrganizationalUnitException"):
                    pass
        finally:
            self.forget_children(parent_id)
        return self.find_created_elsewhere(parent_id, name), False

    def find_created_elsewhere(self, parent_id, name):
        """The OU ``name`` in ``parent_id`` that AWS says exists: listed again, with a growing pause, until it
        shows; a clear error when it never does."""
        delay = RELIST_FIRST_DELAY
        for attempt in range(1, RELIST_ATTEMPTS + 1):
            ou = find_child(self.children(parent_id), name)
            if ou is not None:
                return ou
            self.forget_children(parent_id)
            if attempt < RELIST_ATTEMPTS:
                self.sleep(delay)
                delay *= 2
        raise MspAwsError(
            message=(
                f"AWS refused to create organizational unit {name} in {parent_id} as a duplicate "
                f"(DuplicateOrganizationalUnitException), but it was not listed there after {RELIST_ATTEMPTS} "
                "tries; run again"
            )
        )

    def ensure_levels(self, names, found, tags, check_mode):
        """Create the levels of ``names`` below the deepest existing one (``found``, from resolve), tagging
        only the last. Returns ``(paths this run created, last OU, its parent's id)``. Levels another run
        created meanwhile are used but not counted; check mode knows no ids of OUs it would create."""
        parent_id = found[-1][1]["Id"] if found else self.root["Id"]
        created = []
        leaf, leaf_parent_id = None, parent_id
        for depth in range(len(found) + 1, len(names) + 1):
            path = format_path(names[:depth])
            leaf_parent_id = parent_id
            if check_mode:
                created.append(path)
                leaf, parent_id = {"Id": None, "Arn": None}, None
                continue
            leaf, made_here = self.create_child(parent_id, names[depth - 1], tags if depth == len(names) else None)
            if made_here:
                created.append(path)
            self.remember(leaf["Id"], path)
            parent_id = leaf["Id"]
        return created, leaf, leaf_parent_id
