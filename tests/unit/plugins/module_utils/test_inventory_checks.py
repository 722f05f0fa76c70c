"""inventory_checks: the MSP-wide settings and the clients' entries, checked before anything is written to AWS.

Each case breaks one thing of the sandbox inventory (which itself has no problem) and names the problem
expected: the host, the variable and the rule.
"""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.msp.aws_accounts.plugins.module_utils.inventory_checks import (
    CLIENT_DEFAULTS,
    MSP_DEFAULTS,
    client_problems,
    msp_problems,
)

REPO = Path(__file__).resolve().parents[4]


def load_inventory(name):
    """``(settings, clients)``: group_vars/all and every client's host variables (which include group_vars)."""
    root = REPO / "inventories" / name
    settings = {}
    for path in sorted((root / "group_vars" / "all").glob("*.yml")):
        settings.update(yaml.safe_load(path.read_text()) or {})
    hosts = yaml.safe_load((root / "hosts.yml").read_text())["all"]["children"]["clients"]["hosts"]
    clients = []
    for host in hosts:
        client = dict(copy.deepcopy(settings), inventory_hostname=host)
        for path in [root / "host_vars" / f"{host}.yml", *sorted((root / "host_vars" / host).glob("*.yml"))]:
            if path.exists():
                client.update(yaml.safe_load(path.read_text()) or {})
        clients.append(client)
    return settings, clients


SETTINGS, CLIENTS = load_inventory("sandbox")
HOSTS = [client["inventory_hostname"] for client in CLIENTS]


def _role_defaults(role):
    return yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())


def test_msp_defaults_are_the_msp_roles():
    assert _role_defaults("msp") == MSP_DEFAULTS


def test_client_defaults_are_the_client_roles():
    assert _role_defaults("client") == CLIENT_DEFAULTS


# What a role's argument_specs option may hold (ansible-lint's schema[role-arg-spec]). A plain description with a
# comma inside a flow mapping ({type: str, description: A token, for keys.}) parses as a stray key.
OPTION_FIELDS = {
    "type",
    "required",
    "default",
    "choices",
    "elements",
    "options",
    "description",
    "no_log",
    "aliases",
    "version_added",
    "apply_defaults",
    "mutually_exclusive",
    "required_together",
    "required_one_of",
    "required_if",
    "required_by",
}


def _stray_fields(options, where):
    for name, option in (options or {}).items():
        yield from (f"{where}.{name}: {field!r}" for field in set(option) - OPTION_FIELDS)
        yield from _stray_fields(option.get("options"), f"{where}.{name}")


@pytest.mark.parametrize(
    "role", sorted(path.parent.parent.name for path in REPO.glob("roles/*/meta/argument_specs.yml"))
)
def test_argument_specs_options_hold_only_option_fields(role):
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert [stray for name, spec in specs.items() for stray in _stray_fields(spec.get("options"), name)] == []


@pytest.mark.parametrize("inventory", ["sandbox", "example"])
def test_inventories_have_no_problem(inventory):
    settings, clients = load_inventory(inventory)
    hosts = [client["inventory_hostname"] for client in clients]
    assert msp_problems(settings, hosts) == []
    assert client_problems(clients, settings["msp_role_catalogue"], settings.get("msp_engineer_groups")) == []


def _catalogue_entry(index, **changes):
    def change(settings):
        settings["msp_role_catalogue"][index].update(changes)

    return change


def _set(**values):
    def change(settings):
        settings.update(values)

    return change


MSP_CASES = {
    "account-id-unquoted": (
        _set(msp_management_account_id=12345678901),
        "msp_management_account_id: 12345678901 must be an AWS account id of exactly 12 digits (quote it",
    ),
    "identity-account-short": (_set(msp_identity_account_id="1234"), "msp_identity_account_id: '1234' must be"),
    "root-access-not-a-bool": (
        _set(msp_root_access="sometimes"),
        "msp_root_access: must be true (onboarding enables centralised root access and deletes or keeps each client's "
        "root credentials) or false (nothing root-related is touched), not 'sometimes'",
    ),
    "inventory-slice-not-a-bool": (
        _set(msp_inventory_slice="half"),
        "msp_inventory_slice: must be true (this run's inventory is one slice of the clients: the engineers' "
        "policies keep the other slices' clients) or false (the inventory holds every client), not 'half'",
    ),
    "planner-not-a-bool": (
        _set(msp_planner="sometimes"),
        "msp_planner: must be true (read every client at once and run only the clients that drifted) or false "
        "(every client runs its tasks), not 'sometimes'",
    ),
    "own-account-unquoted": (
        _set(msp_own_account_ids=["333344445555", 12345678901]),
        "msp_own_account_ids[1]: 12345678901 must be an AWS account id of exactly 12 digits (quote it",
    ),
    "own-account-twice": (
        _set(msp_own_account_ids=["333344445555", "333344445555"]),
        "msp_own_account_ids: '333344445555' is listed more than once",
    ),
    "mailbox-undotted": (_set(msp_mailbox="ops@localhost"), "msp_mailbox: 'ops@localhost' must have a dotted domain"),
    "region": (_set(msp_region="US East"), "msp_region: 'US East' must be an AWS region like us-east-1"),
    "name-blank": (_set(msp_name=" "), "msp_name: is required"),
    "contact-phone": (
        lambda s: s["msp_alternate_contacts"]["billing"].update(phone="call us"),
        "msp_alternate_contacts.billing.phone: must be digits, spaces and ( ) + - only",
    ),
    "contact-incomplete": (
        lambda s: s["msp_alternate_contacts"]["security"].pop("title"),
        "msp_alternate_contacts.security: give name, title, email and phone (missing: title)",
    ),
    "ou-empty-level": (
        _set(msp_organizational_units=["Clients//Production"]),
        "msp_organizational_units[0]: 'Clients//Production' has an empty level",
    ),
    "default-ou-outside-layout": (
        _set(msp_default_ou="Clients/Prod"),
        "msp_default_ou: 'Clients/Prod' is not in msp_organizational_units (Clients/Production, Clients/Onboarding)",
    ),
    "tags-reserved": (_set(msp_default_tags={"aws:owner": "x"}), "msp_default_tags: key 'aws:owner' begins with aws:"),
    "role-path-no-slash": (_set(msp_role_path="msp"), "msp_role_path: 'msp': role path must begin and end with /"),
    "role-path-root": (_set(msp_role_path="/"), "msp_role_path: must be a path of the MSP's own, like /msp/"),
    "catalogue-empty": (_set(msp_role_catalogue=[]), "msp_role_catalogue: must list at least one role"),
    "catalogue-duplicate-key": (
        _catalogue_entry(2, key="admin"),
        "msp_role_catalogue[2] (admin).key: 'admin' is also the key of msp_role_catalogue[0] (admin)",
    ),
    "catalogue-duplicate-role-name": (
        _catalogue_entry(1, role_name="MspAdmin"),
        "msp_role_catalogue[1] (engineer).role_name: 'MspAdmin' is also the role_name of msp_role_catalogue[0]",
    ),
    "catalogue-access-role-name": (
        _catalogue_entry(0, role_name="MspOrganizationAccess"),
        "msp_role_catalogue[0] (admin).role_name: 'MspOrganizationAccess' is also the role_name of the playbooks' "
        "access role (msp_invited_access_role_name): IAM role names are unique in an account",
    ),
    "catalogue-role-name-invalid": (
        _catalogue_entry(0, role_name="Msp Admin"),
        "msp_role_catalogue[0] (admin).role_name: 'Msp Admin' must be 1 to 64 characters",
    ),
    "catalogue-link-too-long": (
        _catalogue_entry(0, role_name="A" * 61),
        "msp_role_catalogue[0] (admin).role_name: msp_role_path /msp/ and 'AAAA",
    ),
    "catalogue-key-spaces": (
        _catalogue_entry(2, key="on call"),
        "msp_role_catalogue[2] (on call).key: 'on call' must be 1 to 32 letters, digits, '-' and '_'",
    ),
    "catalogue-missing-role-name": (
        lambda s: s["msp_role_catalogue"][0].pop("role_name"),
        "msp_role_catalogue[0] (admin).role_name: is required",
    ),
    "catalogue-colour-hash": (
        _catalogue_entry(0, color="#F2B0A9"),
        "msp_role_catalogue[0] (admin).color: '#F2B0A9' must be six hex digits without '#', like 'F2B0A9'",
    ),
    "catalogue-duration": (
        _catalogue_entry(2, max_session_duration=86400),
        "msp_role_catalogue[2] (oncall).max_session_duration: must be 3600 to 43200 seconds (1 to 12 hours), not 86400",
    ),
    "catalogue-duration-not-a-number": (
        _catalogue_entry(2, max_session_duration="12h"),
        "msp_role_catalogue[2] (oncall).max_session_duration: must be a whole number of seconds, not '12h'",
    ),
    "catalogue-mfa-age-without-mfa": (
        _catalogue_entry(0, require_mfa=False),
        "msp_role_catalogue[0] (admin).mfa_max_age: needs require_mfa=true",
    ),
    "catalogue-policy-not-json": (
        _catalogue_entry(0, inline_policies={"Extra": '{"Version": "2012-10-17",'}),
        "msp_role_catalogue[0] (admin).inline_policies.Extra: is not valid JSON",
    ),
    "catalogue-policy-list": (
        _catalogue_entry(0, inline_policies={"Extra": "[1, 2]"}),
        "msp_role_catalogue[0] (admin).inline_policies.Extra: must be a JSON object with a Statement",
    ),
    "catalogue-policy-no-statement": (
        _catalogue_entry(0, inline_policies={"Extra": {"Version": "2012-10-17"}}),
        "msp_role_catalogue[0] (admin).inline_policies.Extra: has no Statement",
    ),
    "catalogue-policy-name": (
        _catalogue_entry(0, inline_policies={"My Policy": {"Statement": [{"Effect": "Allow"}]}}),
        "msp_role_catalogue[0] (admin).inline_policies: 'My Policy' is not a policy name",
    ),
    "catalogue-managed-policy": (
        _catalogue_entry(0, managed_policies=["Administrator Access"]),
        "msp_role_catalogue[0] (admin).managed_policies: 'Administrator Access' is not an AWS-managed policy name",
    ),
    "catalogue-description": (
        _catalogue_entry(0, description="x" * 1001),
        "msp_role_catalogue[0] (admin).description: must be at most 1000 characters",
    ),
    "catalogue-unknown-group": (
        _catalogue_entry(0, engineer_groups=["msp-admin"]),
        "msp_role_catalogue[0] (admin).engineer_groups: 'msp-admin' is not in msp_engineer_groups "
        "(known: msp-admins, msp-engineers, msp-oncall)",
    ),
    "default-role-unknown": (
        _set(msp_default_roles=["admin", "on-call"]),
        "msp_default_roles: 'on-call' is not in msp_role_catalogue (known: admin, engineer, oncall)",
    ),
    "default-role-twice": (_set(msp_default_roles=["admin", "admin"]), "msp_default_roles: 'admin' is listed twice"),
    "group-name": (
        _set(msp_engineer_groups=[{"name": "msp admins"}]),
        "msp_engineer_groups[0] (msp admins): group name must match pattern",
    ),
    "group-twice": (
        _set(msp_engineer_groups=[{"name": "msp-admins"}, {"name": "msp-admins"}]),
        "msp_engineer_groups: 'msp-admins' is listed twice",
    ),
    "group-unknown-client": (
        _set(msp_engineer_groups=[{"name": "msp-admins", "clients": ["acme", "acm"]}]),
        "msp_engineer_groups[0] (msp-admins).clients: 'acm' is not a client of the inventory "
        "(the clients group: acme, globex, hooli)",
    ),
    "engineer-unknown-group": (
        _set(msp_engineers=[{"name": "alice", "groups": ["admins"]}]),
        "msp_engineers[0] (alice).groups: 'admins' is not in msp_engineer_groups",
    ),
    "engineer-twice": (_set(msp_engineers=[{"name": "bob"}, {"name": "bob"}]), "msp_engineers: 'bob' is listed twice"),
    "engineer-name": (_set(msp_engineers=[{"name": "bob smith"}]), "msp_engineers[0] (bob smith).name: user name must"),
    "access-role-name": (
        _set(msp_invited_access_role_name="Msp Access"),
        "msp_invited_access_role_name: 'Msp Access' must be 1 to 64 characters",
    ),
    "wait-timeout": (_set(msp_wait_timeout=0), "msp_wait_timeout: must be a positive number of seconds, not 0"),
    # The switch_role_links role refuses it after every AWS write; the validation refuses it before any.
    "source-profile-space": (
        _set(msp_cli_source_profile="my profile"),
        "msp_cli_source_profile: 'my profile' must name the ~/.aws/config profile of the engineers' own keys: "
        "letters, digits, '_', '.' and '-', starting with a letter or digit",
    ),
    "source-profile-comment": (_set(msp_cli_source_profile="msp;main"), "msp_cli_source_profile: 'msp;main' must"),
    "source-profile-newline": (_set(msp_cli_source_profile="msp-main\n"), "msp_cli_source_profile: 'msp-main\\n'"),
    "region-newline": (_set(msp_region="us-east-1\n"), "msp_region: 'us-east-1\\n' must be an AWS region"),
    "catalogue-key-newline": (
        _catalogue_entry(2, key="oncall\n"),
        "msp_role_catalogue[2] (oncall\n).key: 'oncall\\n' must be 1 to 32 letters",
    ),
    "catalogue-policy-name-newline": (
        _catalogue_entry(0, inline_policies={"Extra\n": {"Statement": [{"Effect": "Allow"}]}}),
        "msp_role_catalogue[0] (admin).inline_policies: 'Extra\\n' is not a policy name",
    ),
    "tags-too-many": (
        _set(msp_default_tags={f"k{n}": "v" for n in range(51)}),
        "msp_default_tags: an AWS account holds at most 50 tags; these give it 51",
    ),
}


@pytest.mark.parametrize(("change", "expected"), MSP_CASES.values(), ids=MSP_CASES.keys())
def test_msp_problems(change, expected):
    settings = copy.deepcopy(SETTINGS)
    change(settings)
    problems = msp_problems(settings, HOSTS)
    assert any(expected in problem for problem in problems), problems


def test_msp_problems_lists_every_problem():
    settings = copy.deepcopy(SETTINGS)
    settings.update(msp_mailbox="x", msp_region="mars", msp_default_roles=["nope"])
    assert len(msp_problems(settings, HOSTS)) == 3


def test_msp_problems_takes_the_defaults_of_missing_optional_settings():
    required = ("msp_name", "msp_region", "msp_management_account_id", "msp_identity_account_id", "msp_mailbox")
    settings = {name: SETTINGS[name] for name in required}
    settings["msp_role_catalogue"] = [{"key": "admin", "role_name": "MspAdmin"}]
    assert msp_problems(settings) == []


def _client(host, **changes):
    """Change the client ``host``'s entry; a value of None removes the variable."""

    def change(clients):
        client = next(c for c in clients if c["inventory_hostname"] == host)
        for name, value in changes.items():
            if value is None:
                client.pop(name, None)
            else:
                client[name] = value

    return change


def _custom_role(**changes):
    def change(clients):
        clients[2]["client_custom_roles"][0].update(changes)

    return change


CLIENT_CASES = {
    "unknown-catalogue-role": (
        _client("acme", client_roles=["admn", "oncall"]),
        "acme: client_roles: 'admn' is not in msp_role_catalogue (known: admin, engineer, oncall)",
    ),
    "catalogue-role-twice": (
        _client("acme", client_roles=["oncall", "oncall"]),
        "acme: client_roles: 'oncall' is listed",
    ),
    "invalid-email": (
        _client("globex", client_email="root@globex"),
        "globex: client_email: 'root@globex' must have a dotted domain after the '@'",
    ),
    "email-with-space": (
        _client("globex", client_email="root @globex.example"),
        "globex: client_email: 'root @globex.example' must not contain whitespace",
    ),
    # The MSP-wide settings reach every client's host variables.
    "account-id-of-the-msp": (
        _client("globex", msp_own_account_ids=["210987654321"]),
        "globex: client_account_id: 210987654321 is one of the MSP's own accounts (msp_own_account_ids)",
    ),
    "invite-without-account-id": (
        _client("globex", client_account_id=None),
        "globex: client_account_id: is required when client_join is invite: give the client's existing account id, "
        'quoted (client_account_id: "210987654321"), or set client_join: create',
    ),
    "account-id-not-12-digits": (
        _client("globex", client_account_id="21098765432"),
        "globex: client_account_id: '21098765432' must be an AWS account id of exactly 12 digits",
    ),
    "account-id-unquoted": (
        _client("globex", client_account_id=12345678901),
        "globex: client_account_id: 12345678901 must be an AWS account id of exactly 12 digits (quote it in YAML",
    ),
    "account-id-management": (
        _client("globex", client_account_id="123456789012"),
        "globex: client_account_id: 123456789012 is the organization's management account",
    ),
    "account-id-identity": (
        lambda clients: (
            [c.update(msp_identity_account_id="444455556666") for c in clients]
            and _client("globex", client_account_id="444455556666")(clients)
        ),
        "globex: client_account_id: 444455556666 is the MSP's identity account (msp_identity_account_id), where the "
        "engineers sign in; not a client's",
    ),
    # The plus-address is a created account's: an invited one would fail after the invitation was sent.
    "invite-without-email": (
        _client("globex", client_email=None),
        "globex: client_email: is required when client_join is invite: the invited account's current root email",
    ),
    "join-unknown": (
        _client("acme", client_join="adopt"),
        "acme: client_join: must be create (a new account) or invite",
    ),
    "name-too-long": (_client("acme", client_name="A" * 51), "acme: client_name: 'AAAA"),
    "name-accented": (_client("acme", client_name="Société Générale"), "must be printable ASCII"),
    "name-missing": (_client("acme", client_name=None), "acme: client_name: is required"),
    "key-not-plus-address-ready": (
        _client("acme", client_key="ACME Corp"),
        "acme: client_key: 'ACME Corp' cannot be the client's key (it is in the root email's plus-address, profile "
        "names and link files): use lower-case letters, digits and single hyphens; set client_key: acme-corp",
    ),
    "key-without-letters": (_client("acme", client_key="!!"), "set client_key to lower-case letters and digits"),
    "inventory-name-as-key": (
        lambda clients: clients[0].update(inventory_hostname="ACME_Corp"),
        "ACME_Corp: client_key (not set, so the inventory name): 'ACME_Corp' cannot be the client's key",
    ),
    "key-too-long-for-email": (
        _client("acme", client_key="k" * 45),
        "acme: client_key: awsaccounts+kkkk",
    ),
    "duplicate-client-keys": (
        _client("hooli", client_key="acme"),
        "hooli: client_key: 'acme' is also acme's key: every client needs its own",
    ),
    "duplicate-root-emails": (
        _client("hooli", client_email="AwsAccounts+Acme@msp.example"),
        "hooli: client_email: AwsAccounts+Acme@msp.example is also acme's root email: every AWS account needs its own",
    ),
    "duplicate-account-ids": (
        _client("hooli", client_join="invite", client_account_id="210987654321"),
        "hooli: client_account_id: 210987654321 is also globex's account",
    ),
    "ou-outside-layout": (
        _client("acme", client_ou="Clients/Prodution"),
        "acme: client_ou: 'Clients/Prodution' is not in msp_organizational_units (Clients/Production, "
        "Clients/Onboarding): use one of them (or a level above one), or add it there",
    ),
    "ou-empty-level": (_client("acme", client_ou="Clients//Production"), "acme: client_ou: 'Clients//Production' has"),
    "tags-reserved": (_client("acme", client_tags={"aws:x": "1"}), "acme: client_tags: key 'aws:x' begins with aws:"),
    # The account gets msp_default_tags (one, managed-by) too: 50 of its own make 51.
    "tags-too-many-with-defaults": (
        _client("acme", client_tags={f"k{n}": "v" for n in range(50)}),
        "acme: client_tags: an AWS account holds at most 50 tags; these give it 51 with msp_default_tags",
    ),
    # Client acme-eu's role admin and client acme's role eu-admin would share the CLI profile acme-eu-admin.
    "profile-names-collide": (
        lambda clients: (
            _client("hooli", client_key="acme-eu", client_roles=["admin"], client_custom_roles=[])(clients),
            _client("acme", client_custom_roles=[{"key": "eu-admin", "role_name": "MspEuAdmin"}])(clients),
        ),
        "hooli: client_roles: its role admin gets the CLI profile acme-eu-admin, which is also the profile of acme's "
        "role eu-admin (profiles are named <client key>-<role key>): change the role's key or a client_key",
    ),
    "profile-names-collide-custom": (
        lambda clients: (
            _client("hooli", client_key="acme-admin", client_roles=[])(clients)
            or clients[2]["client_custom_roles"][0].update(key="analyst")
            or _client("acme", client_custom_roles=[{"key": "admin-analyst", "role_name": "MspX"}])(clients)
        ),
        "hooli: client_custom_roles[0] (analyst).key: its role analyst gets the CLI profile acme-admin-analyst, which "
        "is also the profile of acme's role admin-analyst",
    ),
    "profile-name-is-source-profile": (
        lambda clients: [c.update(msp_cli_source_profile="acme-admin") for c in clients],
        "acme: client_roles (not set, so msp_default_roles): its role admin gets the CLI profile acme-admin, the "
        "name of msp_cli_source_profile",
    ),
    "contact-email": (
        lambda clients: clients[0]["client_alternate_contacts"]["security"].update(email="security"),
        "acme: client_alternate_contacts.security.email: must be an email address like ops@example.com",
    ),
    "custom-policy-not-json": (
        _custom_role(inline_policies={"ReportsBucket": '{"Statement": [}'}),
        "hooli: client_custom_roles[0] (analyst).inline_policies.ReportsBucket: is not valid JSON",
    ),
    "custom-key-clashes-catalogue": (
        _custom_role(key="oncall"),
        "hooli: client_custom_roles[0] (oncall).key: 'oncall' is also the key of the catalogue role it gets (oncall)",
    ),
    "custom-role-name-clashes-catalogue": (
        _custom_role(role_name="MspOnCall"),
        "hooli: client_custom_roles[0] (analyst).role_name: 'MspOnCall' is also the role_name of its catalogue role "
        "oncall",
    ),
    "custom-role-name-is-access-role": (
        _custom_role(role_name="OrganizationAccountAccessRole"),
        "is also the role_name of the playbooks' access role",
    ),
    "custom-keys-twice": (
        lambda clients: clients[2]["client_custom_roles"].append(
            dict(clients[2]["client_custom_roles"][0], role_name="Other")
        ),
        "hooli: client_custom_roles[1] (analyst).key: 'analyst' is also the key of client_custom_roles[0]",
    ),
    "custom-colour": (
        _custom_role(color="blue"),
        "hooli: client_custom_roles[0] (analyst).color: 'blue' must be six hex digits",
    ),
    "custom-duration": (
        _custom_role(max_session_duration=900),
        "hooli: client_custom_roles[0] (analyst).max_session_duration: must be 3600 to 43200 seconds",
    ),
    "custom-unknown-group": (
        _custom_role(engineer_groups=["analysts"]),
        "hooli: client_custom_roles[0] (analyst).engineer_groups: 'analysts' is not in msp_engineer_groups",
    ),
    "root-credentials-unknown-choice": (
        _client("acme", client_root_credentials="remove"),
        "acme: client_root_credentials: must be delete (onboarding deletes the root user's password, keys, MFA "
        "devices and certificates) or keep (they stay), not 'remove'; unset: delete for a created account, keep for an "
        "invited one",
    ),
    "root-credentials-not-text": (
        _client("hooli", client_root_credentials=True),
        "hooli: client_root_credentials: must be delete (",
    ),
    "handover-contact-incomplete": (
        _client("globex", client_handover_alternate_contacts={"billing": {"name": "Globex Billing"}}),
        "globex: client_handover_alternate_contacts.billing: give name, title, email and phone (missing: title, "
        "email, phone), or {} to remove it",
    ),
    "handover-contact-email": (
        _client(
            "acme",
            client_handover_alternate_contacts={
                "security": {"name": "ACME IT", "title": "IT", "email": "it", "phone": "+1 555 0100"}
            },
        ),
        "acme: client_handover_alternate_contacts.security.email: must be an email address like ops@example.com",
    ),
    "handover-contacts-not-a-mapping": (
        _client("acme", client_handover_alternate_contacts=["it@acme.example"]),
        "acme: client_handover_alternate_contacts: must map billing, operations and security to a contact",
    ),
    "custom-missing-role-name": (
        lambda clients: clients[2]["client_custom_roles"][0].pop("role_name"),
        "hooli: client_custom_roles[0] (analyst).role_name: is required",
    ),
}


@pytest.mark.parametrize(("change", "expected"), CLIENT_CASES.values(), ids=CLIENT_CASES.keys())
def test_client_problems(change, expected):
    clients = copy.deepcopy(CLIENTS)
    change(clients)
    problems = client_problems(clients, SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"])
    assert any(expected in problem for problem in problems), problems


def _credentials(**values):
    return {"access_key": "AKIAEXAMPLE", "secret_key": "secret", **values}


CREDENTIALS_CASES = {
    # An AWX credential injects client_credentials as an extra variable, which every host gets.
    "credentials-on-a-created-client": (
        [_client("acme", client_credentials=_credentials())],
        ["acme"],
        "acme: client_credentials: only for client_join invite (the client's own keys accept the invitation); this "
        "client's account is created by the organization. client_credentials given as an extra variable (an AWX "
        "credential injects one) reach every client of the job: onboard an invited client with its credentials in a "
        "job of its own (-e client=<the invited client>)",
    ),
    "same-credentials-for-two-invited-clients": (
        [
            _client("globex", client_credentials=_credentials()),
            _client("hooli", client_join="invite", client_account_id="333333333333", client_email="root@hooli.example"),
            _client("hooli", client_credentials=_credentials()),
        ],
        ["globex", "hooli"],
        "hooli: client_credentials: the same as globex's, but an account's credentials belong to that one account. "
        "client_credentials given as an extra variable (an AWX credential injects one) reach every client of the "
        "job: onboard an invited client with its credentials in a job of its own (-e client=hooli)",
    ),
}


@pytest.mark.parametrize(("changes", "selected", "expected"), CREDENTIALS_CASES.values(), ids=CREDENTIALS_CASES.keys())
def test_credentials_of_the_selected_clients(changes, selected, expected):
    clients = copy.deepcopy(CLIENTS)
    for change in changes:
        change(clients)
    catalogue, groups = SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"]
    assert expected in client_problems(clients, catalogue, groups, selected)
    # A client the run does not onboard is not judged by an extra variable that reached it too.
    assert client_problems(clients, catalogue, groups, ["acme" if "acme" not in selected else "globex"]) == []
    assert client_problems(clients, catalogue, groups) == []


def test_an_invited_client_with_credentials_alone_is_fine():
    clients = copy.deepcopy(CLIENTS)
    for client in clients:
        # As an AWX credential injects it: every host has it, only globex is onboarded.
        client["client_credentials"] = _credentials()
    catalogue, groups = SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"]
    assert client_problems(clients, catalogue, groups, ["globex"]) == []
    assert len(client_problems(clients, catalogue, groups, HOSTS)) == 2


def test_client_problems_are_reported_once_each():
    clients = copy.deepcopy(CLIENTS)
    _client("hooli", client_key="acme")(clients)
    problems = client_problems(clients, SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"])
    # The same key gives the same plus-address: one problem, not a second one for the root email.
    assert problems == [
        "hooli: client_key: 'acme' is also acme's key: every client needs its own (it is in the root email, profile "
        "names and link files); set another client_key on one of them"
    ]


def test_client_problems_leave_unknown_default_roles_to_msp_problems():
    clients = copy.deepcopy(CLIENTS)
    for client in clients:
        client["msp_default_roles"] = ["admin", "nope"]
    assert client_problems(clients, SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"]) == []


def test_client_problems_without_optional_settings():
    client = {"inventory_hostname": "acme", "client_name": "ACME", "msp_mailbox": "aws@msp.example"}
    assert client_problems([client], [{"key": "admin", "role_name": "MspAdmin"}], None) == []


# Each value onboarding accepts for client_root_credentials, on either kind of account: a created account deletes its
# root by default, an invited one keeps it; delete on an invited account is the client's agreement, set explicitly.
ROOT_CREDENTIALS_CASES = {
    "created-default": ("acme", None),
    "created-keep": ("acme", "keep"),
    "created-delete": ("acme", "delete"),
    "invited-default": ("globex", None),
    "invited-keep": ("globex", "keep"),
    "invited-delete-agreed": ("globex", "delete"),
}


@pytest.mark.parametrize(("host", "value"), ROOT_CREDENTIALS_CASES.values(), ids=ROOT_CREDENTIALS_CASES.keys())
def test_root_credentials_choices_are_fine(host, value):
    clients = copy.deepcopy(CLIENTS)
    _client(host, client_root_credentials=value)(clients)
    assert client_problems(clients, SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"]) == []


@pytest.mark.parametrize("setting", ["msp_root_access", "msp_inventory_slice", "msp_planner"])
@pytest.mark.parametrize("value", [True, False, "yes", "false"])
def test_msp_switches_take_what_argument_specs_converts(setting, value):
    settings = copy.deepcopy(SETTINGS)
    settings[setting] = value
    assert msp_problems(settings, HOSTS) == []


def test_handover_contacts_may_remove_a_type():
    clients = copy.deepcopy(CLIENTS)
    contact = {"name": "Globex IT", "title": "IT Desk", "email": "it@globex.example", "phone": "+1 555 0142"}
    _client("globex", client_handover_alternate_contacts={"security": contact, "billing": {}})(clients)
    assert client_problems(clients, SETTINGS["msp_role_catalogue"], SETTINGS["msp_engineer_groups"]) == []
