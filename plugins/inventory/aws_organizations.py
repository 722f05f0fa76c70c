# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_organizations
short_description: The accounts of an AWS Organization as an inventory, grouped by OU, state and tags
version_added: 0.1.0
description:
  - One host per account of the AWS Organization the credentials belong to, read with the Organizations API, with
    its id, ARN, name, root email, state, how and when it joined, its parent OU and the OU's path, and its tags.
  - Groups by OU path (nested OUs become nested groups), by state, by how the account joined, and the management
    account's own group; C(compose), C(groups) and C(keyed_groups) work as in every constructed inventory plugin.
  - Uses a YAML configuration file that ends with C(aws_organizations.yml) or C(aws_organizations.yaml).
  - Reads ListRoots once, ListOrganizationalUnitsForParent and ListAccountsForParent once per OU walked (all pages),
    and ListTagsForResource once per account kept by the filters that need no tags (unless O(read_tags=false)).
    Nothing else is read per account, so the calls grow with the number of pages and accounts, never with
    accounts times OUs.
  - Run it with the management account's credentials, or a delegated administrator's for AWS Organizations,
    allowed C(organizations:ListRoots), C(organizations:ListOrganizationalUnitsForParent),
    C(organizations:ListAccountsForParent) and C(organizations:ListTagsForResource).
options:
  plugin:
    description:
      - The name of this plugin; it must be V(msp.aws_accounts.aws_organizations) for the plugin to read the file.
    required: true
    type: str
    choices: [msp.aws_accounts.aws_organizations]
  hostnames:
    description:
      - How hosts are named, in order of preference; the first entry that gives a non-empty, usable value names
        the host, else the account id does.
      - Each entry is V(account_id), V(name) (the account name), V(email) (the root email) or C(tag:<key>), the
        value of the account's tag C(<key>), such as V(tag:client).
      - "The account name, the root email and the account's tags can be changed from inside the member account
        (by whoever administers it), not only by the MSP. So a value Ansible would read otherwise is skipped,
        with a warning naming the account id and the value, and the next entry is tried. These values are
        V(localhost), V(127.0.0.1), V(::1), V(all), V(ungrouped), the name of one of the plugin's groups, a value
        with whitespace or any of C(, : [ ] ! & * ? ~) (host patterns read them as separators, ranges, globs,
        negations, intersections or regular expressions), and a value starting with C(@)."
      - When two accounts would get the same name, an C(ACTIVE) account keeps it before one in another state
        (a client's old suspended account still tagged like its live one does not take its name), then the
        lower account id; the others are named by their account ids, with a warning naming them all.
      - C(tag:) entries need O(read_tags).
    type: list
    elements: str
    default: [account_id]
  ou_group_prefix:
    description:
      - Prefix of the OU groups. The group of the OU C(/Clients/Production) is the prefix followed by each level's
        name in lowercase, every character other than C([a-z0-9_]) replaced by C(_), joined by C(_), such as
        C(ou_clients_production), a child group of C(ou_clients), itself a child of C(aws_organization).
      - Accounts directly in the root are in C(aws_organization) only. Two OU paths that make one group name
        (C(/Clients/Acme-Corp) and C(/Clients/Acme Corp)) are an error naming both.
      - Letters, digits and C(_) only, and not empty, so OU groups never merge with another inventory source's
        groups (the OU C(/Clients) would otherwise be the group C(clients) of the static client inventory).
    type: str
    default: ou_
  include_ous:
    description:
      - OU paths (C(/Clients), C(/Clients/Production)) whose accounts, and those of every OU below them, are
        included. The plugin lists only these subtrees (and the OUs above them, to find them).
      - An empty list, or C(/), includes the whole organization. A path that does not exist is an error.
      - The management account is in the root, so with O(include_ous) (other than C(/)) it never appears, even
        with O(include_management_account=true).
    type: list
    elements: str
    default: []
  exclude_ous:
    description:
      - OU paths left out, with every OU below them; the plugin does not list them at all. Wins over O(include_ous);
        an included OU inside an excluded one is left out without being listed.
      - A path that does not exist is an error, found while walking (its parent is listed anyway). With
        O(include_ous), a path neither inside nor above an included OU could leave nothing out and is an error
        too, before anything is read.
    type: list
    elements: str
    default: []
  states:
    description:
      - Only accounts in one of these states (C(Account.State), read from C(Account.Status) on endpoints that only
        send that), written in capitals as AWS does. An empty list keeps every state.
    type: list
    elements: str
    choices: [PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED]
    default: []
  include_tags:
    description:
      - Only accounts that have every tag key given here with one of its values (a string or a list of strings).
      - Needs O(read_tags).
    type: dict
    default: {}
  exclude_tags:
    description:
      - Accounts that have any tag key given here with one of its values (a string or a list of strings) are left out.
      - Needs O(read_tags).
    type: dict
    default: {}
  include_management_account:
    description:
      - Whether the organization's management account is a host (in the group C(management_account)).
    type: bool
    default: false
  read_tags:
    description:
      - Read every kept account's tags (one ListTagsForResource per account, the only call made per account).
      - With V(false), C(aws_account_tags) is C({}) and C(tag:) hostnames, O(include_tags) and O(exclude_tags) are
        an error.
    type: bool
    default: true
notes:
  - "Every host has these variables: C(aws_account_id) (a string), C(aws_account_arn), C(aws_account_name),
    C(aws_account_email), C(aws_account_state), C(aws_account_joined_method) (C(CREATED) or C(INVITED)),
    C(aws_account_joined_timestamp) (ISO 8601), C(aws_account_parent_id) (C(r-...) or C(ou-...)),
    C(aws_account_ou_path) (C(/) for the root, C(/Clients/Production)), C(aws_account_tags) (a dictionary) and
    C(aws_account_is_management)."
  - "Groups: C(aws_organization) holds every host; one group per OU (see O(ou_group_prefix)); C(state_<state>)
    such as C(state_active) and C(state_suspended); C(joined_created) and C(joined_invited); C(management_account)."
  - "Filters apply in this order: O(include_ous) and O(exclude_ous) (what is listed), O(states) and
    O(include_management_account), then, once the tags are read, O(include_tags) and O(exclude_tags)."
  - "With O(cache=true) the plugin caches what it read from AWS. O(hostnames), O(ou_group_prefix), the tag filters,
    O(compose), O(groups) and O(keyed_groups) then apply to the cached listing; changing O(include_ous),
    O(exclude_ous), O(states), O(include_management_account) or O(read_tags) reads AWS again, and so does reading
    from elsewhere or as someone else: another O(endpoint_url), O(region), O(profile), O(assume_role_arn) or access
    key id (O(access_key), else C(AWS_ACCESS_KEY_ID); temporary keys change with every session). The cache keeps
    only a SHA-256 of these, never the secret key. A parse answered from the cache makes no AWS call at all (not
    even the AssumeRole of O(assume_role_arn))."
  - "Every value read from AWS is data, never a template: an account whose name is a Jinja2 expression between
    C({{) and C(}}) is shown as it is, read live or from the cache, and O(compose) expressions see the text,
    never its result."
  - "AWS allows C(/) in OU names; the plugin joins OU names with C(/) into paths, so an OU C(A/B) in the root and
    an OU C(B) in an OU C(A) have one path. O(include_ous) and O(exclude_ous) match OU names level by level and
    cannot name an OU whose name holds C(/); rename such OUs for the plugin to tell them apart."
  - The tags are read by at most four requests at a time. The client uses botocore's C(standard) retry mode,
    which retries throttling.
  - Organizations is a global service; when no region is set the plugin uses C(us-east-1), the endpoint of the
    C(aws) partition. Set O(region) for the other partitions (C(us-gov-west-1), C(cn-northwest-1)).
  - In AWX, add the file as an inventory source from a project (source C(Sourced from a Project)) with an
    C(Amazon Web Services) credential; its keys reach the plugin through the environment.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
author:
  - msp.aws_accounts developers (!UNKNOWN)
"""

EXAMPLES = r"""
# inventories/organization/aws_organizations.yml: every member account, named by its id, grouped by OU.
# The credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE...).
plugin: msp.aws_accounts.aws_organizations

---
# From a profile, assuming a read-only role in the management account; only active accounts, tags not read.
plugin: msp.aws_accounts.aws_organizations
profile: msp-engineer
assume_role_arn: arn:aws:iam::123456789012:role/OrganizationInventoryReader
hostnames: [name, account_id]
states: [ACTIVE]
read_tags: false
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible/aws_organizations
cache_timeout: 3600

---
# Beside the static client inventory: a client's account carries the tag client=<its host name>, so it gets
# that host's name and playbooks see one host per client with both the client_* and the aws_account_*
# variables. Accounts without a client tag appear under their account id; an account tagged for a client the
# static inventory does not declare appears under its tag, without client_* variables.
#   ansible-inventory -i inventories/production -i inventories/organization --graph
plugin: msp.aws_accounts.aws_organizations
hostnames: [tag:client, account_id]
include_management_account: true
keyed_groups:
  # client_acme, cost_centre_4711, ...
  - key: aws_account_tags.client | default('')
    prefix: client
  - key: aws_account_tags['cost-centre'] | default('')
    prefix: cost_centre
groups:
  # accounts nobody tagged as a client's: the first place to look for forgotten accounts
  untagged_accounts: "'client' not in aws_account_tags and not aws_account_is_management"
compose:
  # the hosts are AWS accounts, reached through AWS's APIs from the controller
  ansible_connection: "'local'"

---
# Only the clients' production OU (and every OU below it) without its sandbox OU, active accounts that belong
# to a client and are not being handed over; the endpoint from the environment (AWS_URL), as against a sandbox.
plugin: msp.aws_accounts.aws_organizations
endpoint_url: "{{ lookup('ansible.builtin.env', 'AWS_URL') }}"
include_ous:
  - /Clients/Production
exclude_ous:
  - /Clients/Production/Sandbox
states: [ACTIVE]
include_tags:
  client: [acme, globex, hooli]
exclude_tags:
  lifecycle: handover
ou_group_prefix: org_
"""

from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # amazon.aws's AWSInventoryBase reports a missing botocore (require_aws_sdk).

from ansible.errors import AnsibleParserError
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import (
    MspAwsError,
    concurrent_modification_retry,
    standard_retry_config,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organization_inventory import (
    SOURCE_OPTIONS,
    account_host_vars,
    build_inventory,
    explain_assume_role_error,
    explain_error,
    inventory_settings,
    keep_before_tags,
    listing_fingerprint,
    organization_management_account_id,
    walk_organization,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.organizations import (
    child_accounts,
    child_organizational_units,
    list_tags,
    root_of,
)

# Organizations (and STS) answer from one endpoint per partition; this is the aws partition's.
DEFAULT_REGION = "us-east-1"
# Tag reads in flight at once: a handful shortens a large organization's read without meeting
# Organizations' request rate limit (botocore's standard mode retries the throttling that remains).
TAG_READ_WORKERS = 4
CACHE_FORMAT = 1
SETTINGS_OPTIONS = (
    "hostnames",
    "ou_group_prefix",
    "include_ous",
    "exclude_ous",
    "states",
    "include_tags",
    "exclude_tags",
    "include_management_account",
    "read_tags",
)


class InventoryModule(AWSInventoryBase):
    NAME = "msp.aws_accounts.aws_organizations"
    INVENTORY_FILE_SUFFIXES = ("aws_organizations.yml", "aws_organizations.yaml")

    def _do_fail(self, message):
        raise AnsibleParserError(message)

    def _set_frozen_credentials(self):
        """Deferred to the first AWS read (see _organizations_client): a parse the cache answers makes no call."""

    def client(self, service, **kwargs):
        """Organizations and STS are global: without a region, the aws partition's endpoint."""
        kwargs.setdefault("region", self.region or DEFAULT_REGION)
        return super().client(service, **kwargs)

    def _organizations_client(self):
        role_arn = self.get_option("assume_role_arn")
        try:
            super()._set_frozen_credentials()
        except (BotoCoreError, ClientError) as e:
            # amazon.aws 10's _freeze_iam_role catches only its own error type: AWS's refusal arrives bare.
            raise AnsibleParserError(explain_assume_role_error(role_arn, e)) from None
        except AnsibleParserError as e:
            # Later amazon.aws releases catch the refusal themselves and fail through _do_fail, with their prefix.
            reason = str(e.message).removeprefix(f"Unable to assume role {role_arn}: ")
            raise AnsibleParserError(explain_assume_role_error(role_arn, reason)) from None
        return self.client(
            "organizations", retry_decorator=concurrent_modification_retry, config=standard_retry_config()
        )

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        try:
            settings = inventory_settings(**{option: self.get_option(option) for option in SETTINGS_OPTIONS})
            fingerprint = listing_fingerprint(settings, {option: self.get_option(option) for option in SOURCE_OPTIONS})
            listing = self._cached_listing(path, cache, fingerprint)
            if listing is None:
                listing = self._read_listing(settings, fingerprint)
                # Not amazon.aws's update_cached_result: it keeps an existing entry, and the entry here may be one
                # read with other options or credentials, which this listing must replace.
                if self.get_option("cache"):
                    self._cache[self.get_cache_key(path)] = listing
            built = build_inventory(listing, settings)
        except MspAwsError as e:
            # explain_error already quotes AWS's message; a chained cause would make ansible-core repeat it.
            raise AnsibleParserError(explain_error(e)) from None
        for warning in built["warnings"]:
            self.warn(warning)
        self._populate(built)

    def _cached_listing(self, path, cache, fingerprint):
        """The cached listing, if caching is on, not refreshed, and it was read with the same listing options,
        from the same endpoint and region, as the same profile, role and access key id."""
        found, listing = self.get_cached_result(path, cache)
        if not found or not isinstance(listing, dict) or listing.get("format") != CACHE_FORMAT:
            return None
        if listing.get("read_with") != fingerprint:
            return None
        return listing

    def _read_listing(self, settings, fingerprint):
        client = self._organizations_client()
        root = root_of(client)
        ou_paths, walked = walk_organization(
            root,
            lambda parent_id: child_organizational_units(client, parent_id),
            lambda parent_id: child_accounts(client, parent_id),
            settings["include_ous"],
            settings["exclude_ous"],
        )
        management_id = organization_management_account_id(root, [account for account, _parent, _names in walked])
        accounts = [account_host_vars(account, parent_id, names, management_id) for account, parent_id, names in walked]
        accounts = [host_vars for host_vars in accounts if keep_before_tags(host_vars, settings)]
        if settings["read_tags"] and accounts:
            with ThreadPoolExecutor(max_workers=TAG_READ_WORKERS) as pool:
                tags = list(pool.map(lambda host_vars: list_tags(client, host_vars["aws_account_id"]), accounts))
            for host_vars, account_tags in zip(accounts, tags, strict=True):
                host_vars["aws_account_tags"] = account_tags
        return {
            "format": CACHE_FORMAT,
            "read_with": fingerprint,
            "ou_paths": ou_paths,
            "accounts": accounts,
        }

    def _populate(self, built):
        for group in built["groups"]:
            self.inventory.add_group(group)
        self.inventory.add_child("all", "aws_organization")
        for group, members in built["groups"].items():
            for child in members["children"]:
                self.inventory.add_child(group, child)
            for host in members["hosts"]:
                self.inventory.add_host(host, group=group)
        strict = self.get_option("strict")
        for host, host_vars in built["hosts"].items():
            for name, value in host_vars.items():
                self.inventory.set_variable(host, name, value)
            self._set_composite_vars(self.get_option("compose"), host_vars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, host, strict=strict)
