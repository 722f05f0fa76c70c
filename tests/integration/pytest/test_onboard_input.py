"""playbooks/onboard.yml refuses bad input before anything is written to AWS, naming host and field.

Each case copies the sandbox inventory, breaks one thing in it, runs the real playbook (not in check mode,
so a run that got past the validation would write) and proves from the sandbox's call log that no write
was made since the mark, and that the failure names the inventory host and the variable to fix.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_playbook, writes_since

PLAYBOOK = REPO / "playbooks" / "onboard.yml"
# The first play that writes to AWS (the organization's root access): a validation failure must stop the run before it.
FIRST_WRITING_PLAY = "PLAY [Enable centralised root access in the organization]"
# The play of the clients' own accounts.
CLIENT_PLAY = "PLAY [Onboard the client accounts]"


def onboard(inventory: Path, tmp_path: Path, endpoint: str | None = None, *args: str) -> tuple[int, str]:
    """playbooks/onboard.yml on ``inventory``: ``(rc, output)``."""
    return run_playbook(PLAYBOOK, tmp_path, endpoint, *args, inventory=inventory, timeout=300)


@pytest.fixture
def inventory(tmp_path) -> Path:
    """A copy of the sandbox inventory, to break."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", copy)
    return copy


def edit(inventory: Path, relative: str, change) -> None:
    """Load a YAML file of the inventory, let ``change`` modify it, write it back."""
    path = inventory / relative
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def client_vars(host: str, **values):
    """An edit of host_vars/<host>.yml: set the values given; None removes the variable."""

    def change(data):
        for name, value in values.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value

    return f"host_vars/{host}.yml", change


def hooli_policy_as_text(data):
    data["client_custom_roles"][0]["inline_policies"]["ReportsBucket"] = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",}]}'
    )


def admin_colour_with_hash(data):
    data["msp_role_catalogue"][0]["color"] = "#F2B0A9"


def source_profile_with_space(data):
    data["msp_cli_source_profile"] = "my profile"


def recap(output: str, host: str) -> str:
    """The PLAY RECAP line of ``host`` (empty when the host ran nothing)."""
    found = re.search(rf"^{re.escape(host)}\s+: ok=.*$", output, re.MULTILINE)
    return found.group(0) if found else ""


# Client credentials as an AWX credential injects them: an extra variable, which every host gets.
EXTRA_CREDENTIALS = json.dumps({"client_credentials": {"access_key": "AKIAEXAMPLEEXAMPLE", "secret_key": "not-real"}})


CASES = {
    "unknown-catalogue-role": (
        client_vars("acme", client_roles=["admn", "oncall"]),
        ["-e", "client=acme"],
        ["acme: client_roles: 'admn' is not in msp_role_catalogue (known: admin, engineer, oncall)"],
    ),
    "invalid-email": (
        client_vars("globex", client_email="aws-root@globex"),
        ["-e", "client=globex"],
        ["globex: client_email: 'aws-root@globex' must have a dotted domain after the '@'"],
    ),
    "invite-without-account-id": (
        client_vars("globex", client_account_id=None),
        ["-e", "client=globex"],
        ["globex: client_account_id: is required when client_join is invite"],
    ),
    # Without it the plus-address of msp_mailbox would be used, and the run fail after the invitation was sent.
    "invite-without-email": (
        client_vars("globex", client_email=None),
        ["-e", "client=globex"],
        ["globex: client_email: is required when client_join is invite: the invited account's current root email"],
    ),
    "credentials-incomplete": (
        client_vars("globex", client_credentials={"access_key": "AKIAEXAMPLEEXAMPLE"}),
        ["-e", "client=globex"],
        ["fatal: [globex]", "parameters are required together: access_key, secret_key found in client_credentials"],
    ),
    "credentials-profile-and-keys": (
        client_vars(
            "globex",
            client_credentials={
                "profile": "globex",
                "access_key": "AKIAEXAMPLEEXAMPLE",
                "secret_key": "not-a-real-secret",
            },
        ),
        ["-e", "client=globex"],
        ["fatal: [globex]", "parameters are mutually exclusive: profile|access_key found in client_credentials"],
    ),
    "credentials-empty": (
        client_vars("globex", client_credentials={"session_token": "not-a-real-token"}),
        ["-e", "client=globex"],
        ["fatal: [globex]", "one of the following is required: profile, access_key found in client_credentials"],
    ),
    # An AWX credential's extra variable reaches acme too, which is created: one invited client per job.
    "credentials-for-every-client": (
        None,
        ["-e", "client=clients", "-e", EXTRA_CREDENTIALS],
        [
            "acme: client_credentials: only for client_join invite",
            "reach every client of the job: onboard an invited client with its credentials in a job of its own "
            "(-e client=<the invited client>)",
        ],
    ),
    "source-profile-the-links-refuse": (
        ("group_vars/all/msp.yml", source_profile_with_space),
        ["-e", "client=acme"],
        ["msp_cli_source_profile: 'my profile' must name the ~/.aws/config profile of the engineers' own keys"],
    ),
    # Client acme-eu's admin and client acme's eu-admin: both acme-eu-admin, which the links refuse at the end.
    "cli-profiles-collide": (
        [
            client_vars("acme", client_custom_roles=[{"key": "eu-admin", "role_name": "AcmeEuAdmin"}]),
            client_vars("hooli", client_key="acme-eu", client_roles=["admin"], client_custom_roles=[]),
        ],
        ["-e", "client=acme"],
        [
            "The clients of the inventory need fixing:",
            "hooli: client_roles: its role admin gets the CLI profile acme-eu-admin, which is also the profile of "
            "acme's role eu-admin",
        ],
    ),
    "duplicate-client-keys": (
        client_vars("hooli", client_key="acme"),
        ["-e", "client=acme"],
        ["The clients of the inventory need fixing:", "hooli: client_key: 'acme' is also acme's key"],
    ),
    "custom-policy-not-json": (
        ("host_vars/hooli.yml", hooli_policy_as_text),
        ["-e", "client=hooli"],
        ["hooli: client_custom_roles[0] (analyst).inline_policies.ReportsBucket: is not valid JSON"],
    ),
    # A bad entry stops every client's run, not only its own: the access and links are built from all.
    "bad-entry-of-another-client": (
        client_vars("hooli", client_roles=["oncal"]),
        ["-e", "client=acme"],
        ["hooli: client_roles: 'oncal' is not in msp_role_catalogue"],
    ),
    "wrong-type-by-argument-specs": (
        client_vars("acme", client_join="adopt"),
        ["-e", "client=acme"],
        ["fatal: [acme]", "client_join", "create, invite", "adopt"],
    ),
    "unknown-client": (
        None,
        ["-e", "client=acme,acm"],
        [
            "-e client names what is not a client of the inventory (a host of its clients group): acm.",
            "Known clients: acme, globex, hooli.",
        ],
    ),
    "missing-client": (
        None,
        [],
        ["Say which client to onboard (-e client is missing or empty).", "-e client=<name>"],
    ),
    "bad-msp-setting": (
        ("group_vars/all/msp.yml", admin_colour_with_hash),
        ["-e", "client=acme"],
        [
            "The MSP-wide settings (msp_* variables, usually in group_vars/all) need fixing:",
            "msp_role_catalogue[0] (admin).color: '#F2B0A9' must be six hex digits without '#', like 'F2B0A9'",
        ],
    ),
}


@pytest.mark.parametrize(("breakage", "args", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_write(inventory, tmp_path, sandbox, sandbox_endpoint, breakage, args, expected):
    for relative, change in [breakage] if isinstance(breakage, tuple) else breakage or []:
        edit(inventory, relative, change)
    mark = sandbox.mark()
    rc, output = onboard(inventory, tmp_path, sandbox_endpoint, *args)
    assert rc != 0, output
    for text in expected:
        assert text in output, output
    assert FIRST_WRITING_PLAY not in output, output
    assert writes_since(sandbox, mark) == []
    # Validation only reads the inventory: it does not even read AWS.
    assert sandbox.call_summary(since=mark)["total"] == 0


def test_every_problem_is_reported_at_once(inventory, tmp_path, sandbox, sandbox_endpoint):
    edit(inventory, *client_vars("acme", client_roles=["admn"], client_email="root@acme"))
    edit(inventory, *client_vars("globex", client_account_id="21098765432"))
    mark = sandbox.mark()
    rc, output = onboard(inventory, tmp_path, sandbox_endpoint, "-e", "client=clients")
    assert rc != 0
    for text in (
        "acme: client_email: 'root@acme' must have a dotted domain",
        "acme: client_roles: 'admn' is not in msp_role_catalogue",
        "globex: client_account_id: '21098765432' must be an AWS account id of exactly 12 digits",
    ):
        assert text in output, output
    assert writes_since(sandbox, mark) == []


def test_the_sandbox_inventory_validates_without_calling_aws(inventory, tmp_path, sandbox, sandbox_endpoint):
    mark = sandbox.mark()
    rc, output = onboard(inventory, tmp_path, sandbox_endpoint, "-e", "client=clients", "--tags", "validate")
    assert rc == 0, output
    assert "failed=0" in output and "fatal" not in output, output
    assert sandbox.call_summary(since=mark)["total"] == 0


def test_the_example_inventory_validates(tmp_path):
    # The template for a real MSP: no sandbox, no credentials, nothing but the inventory.
    rc, output = onboard(REPO / "inventories" / "example", tmp_path, None, "-e", "client=clients", "--tags", "validate")
    assert rc == 0, output
    for host in ("northwind", "initech", "umbrella"):
        assert re.search(r"\bfailed=0\b", recap(output, host)), output


# -e client as people and AWX give it; play 3 (the first that writes) onboards exactly these clients.
SELECTIONS = {
    "one": (["-e", "client=hooli"], ["hooli"]),
    "comma-list-with-spaces": (["-e", "client='acme, globex'"], ["acme", "globex"]),
    "json-list-as-awx-sends-it": (["-e", json.dumps({"client": ["acme", "globex"]})], ["acme", "globex"]),
    "every-client": (["-e", "client=clients"], ["acme", "globex", "hooli"]),
}


def play_hosts(listing: str, play: str) -> list[str]:
    """The hosts ``--list-hosts`` shows for the play named ``play``."""
    section = listing.split(f": {play}", 1)[1].split("play #", 1)[0]
    return sorted(line.strip() for line in section.split("hosts (", 1)[1].splitlines()[1:] if line.strip())


@pytest.mark.parametrize(("args", "hosts"), SELECTIONS.values(), ids=SELECTIONS.keys())
def test_client_selection(inventory, tmp_path, sandbox, sandbox_endpoint, args, hosts):
    rc, listing = onboard(inventory, tmp_path, sandbox_endpoint, *args, "--list-hosts")
    assert rc == 0, listing
    assert play_hosts(listing, "Onboard the client accounts") == hosts, listing
    # Play 1 reads -e client as play 3's pattern does: it accepts every form.
    rc, output = onboard(inventory, tmp_path, sandbox_endpoint, *args, "--tags", "validate")
    assert rc == 0, output
    assert re.search(r"\bfailed=0\b", recap(output, "localhost")), output


def test_an_invited_client_with_credentials_is_onboarded_alone(inventory, tmp_path, sandbox, sandbox_endpoint):
    # The extra variable reaches every client; only globex, invited, is onboarded: nothing to refuse.
    rc, output = onboard(
        inventory, tmp_path, sandbox_endpoint, "-e", "client=globex", "-e", EXTRA_CREDENTIALS, "--tags", "validate"
    )
    assert rc == 0, output


def test_the_audit_does_not_judge_client_credentials(inventory, tmp_path, sandbox, sandbox_endpoint):
    # The audit (every client by default) uses no credentials: the AWX credential of a job template shared with
    # onboarding reaches acme (created) too, which onboarding refuses ("credentials-for-every-client").
    mark = sandbox.mark()
    rc, output = run_playbook(
        "audit.yml",
        tmp_path,
        sandbox_endpoint,
        "-e",
        EXTRA_CREDENTIALS,
        "-e",
        "audit_fail_on_drift=false",
        inventory=inventory,
    )
    assert rc == 0, output
    assert "client_credentials" not in output, output
    assert re.search(r"\bfailed=0\b", recap(output, "localhost")), output
    assert writes_since(sandbox, mark) == []


def test_the_playbooks_pass_no_omit_to_the_roles():
    # `| default(omit)` in include_role's vars arrives in the role as an Omit value, defined and not none. Every
    # playbook: onboarding's last plays live in publish_links.yml, which AWX also runs alone.
    passed = [
        (playbook.name, name, value)
        for playbook in sorted(PLAYBOOK.parent.glob("*.yml"))
        for play in yaml.safe_load(playbook.read_text())
        for task in play.get("tasks", [])
        if "ansible.builtin.include_role" in task
        for name, value in (task.get("vars") or {}).items()
    ]
    assert {playbook for playbook, _name, _value in passed} >= {"onboard.yml", "publish_links.yml"}, passed
    assert [(playbook, name) for playbook, name, value in passed if "omit" in str(value)] == []


def join_globex(aws, world) -> None:
    """globex's account, invited and accepted by hand: a member, without the MSP's access role yet."""
    org = aws.management("organizations")
    handshake = org.invite_account_to_organization(
        Target={"Type": "ACCOUNT", "Id": world["clients"]["globex"]["account_id"]}
    )["Handshake"]
    aws.client_account("globex", "organizations").accept_handshake(HandshakeId=handshake["Id"])
    # The alternate contacts of a member account need the Account Management service's trusted access.
    org.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")


def test_check_mode_relies_on_the_client_roles_defaults(inventory, tmp_path, sandbox, sandbox_endpoint):
    # acme gives no client_join: its default (create) is the client role's, in play 2 only.
    edit(inventory, *client_vars("acme", client_join=None))
    mark = sandbox.mark()
    # The client's own plays are judged here; the organization-wide last play (localhost) is other tests'.
    _rc, output = onboard(inventory, tmp_path, sandbox_endpoint, "-e", "client=acme", "--check", "--diff")
    assert CLIENT_PLAY in output, output
    # Not a member yet: no root session for its root credentials, and it says what a run does.
    assert (
        "acme: in check mode the account is not a member of the organization yet, so no root session can be opened; "
        "a run deletes every credential of its root user (no root password)."
    ) in output, output
    assert re.search(r"\bfailed=0\b", recap(output, "acme")), output
    assert writes_since(sandbox, mark) == []


def test_check_mode_for_an_invited_member_without_its_access_role(
    inventory, tmp_path, sandbox, sandbox_endpoint, aws, world
):
    # A run would create the access role with globex's credentials; check mode cannot assume it yet.
    join_globex(aws, world)
    edit(inventory, "group_vars/all/msp.yml", lambda data: data.update(msp_wait_timeout=20))
    mark = sandbox.mark()
    _rc, output = onboard(inventory, tmp_path, sandbox_endpoint, "-e", "client=globex", "--check", "--diff")
    assert "could not assume" not in output, output
    assert re.search(r"\bfailed=0\b", recap(output, "globex")), output
    # A member, but the organization's centralised root access is only about to be enabled: no root session yet.
    assert (
        "globex: in check mode the organization's centralised root access is only about to be enabled, so no root "
        "session can be opened; a run reads its root user's credentials."
    ) in output, output
    assert writes_since(sandbox, mark) == []


# More kinds of bad client entry, each on a client of its own (added to the inventory copy) and all in one run:
# the client role checks every client's entry in the same task, so one run reports each host and field. With
# CASES (16 kinds: bad-entry-of-another-client is unknown-catalogue-role on another host) and
# test_every_problem_is_reported_at_once (an account id not of 12 digits) they make 27 kinds. CUSTOM_ROLE is the
# valid custom role each custom-role case breaks in one field.
CUSTOM_ROLE = {"key": "auditor", "role_name": "ClientAuditor", "managed_policies": ["SecurityAudit"]}
BROKEN_CLIENTS = {
    "key-not-usable": (
        {"client_key": "Bad_Key"},
        "client_key: 'Bad_Key' cannot be the client's key (it is in the root email's plus-address, profile names and "
        "link files): use lower-case letters, digits and single hyphens; set client_key: bad-key",
    ),
    "name-too-long": (
        {"client_name": "N" * 51},
        "client_name: '" + "N" * 51 + "' must be 1 to 50 characters long, not 51",
    ),
    "account-id-of-the-management-account": (
        {"client_join": "invite", "client_account_id": "123456789012", "client_email": "root@client.example"},
        "client_account_id: 123456789012 is the organization's management account, not a client's",
    ),
    "ou-outside-the-layout": (
        {"client_ou": "Clients/Staging"},
        "client_ou: 'Clients/Staging' is not in msp_organizational_units",
    ),
    "too-many-tags": (
        {"client_tags": {f"tag{number}": "x" for number in range(50)}},
        "client_tags: an AWS account holds at most 50 tags; these give it 51 with msp_default_tags",
    ),
    "contact-email-invalid": (
        {
            "client_alternate_contacts": {
                "security": {"name": "Desk", "title": "Lead", "email": "desk@client", "phone": "+1 555 0100"}
            }
        },
        "client_alternate_contacts.security.email: must be an email address like ops@example.com",
    ),
    "session-longer-than-iam-allows": (
        {"client_custom_roles": [dict(CUSTOM_ROLE, max_session_duration=50000)]},
        "client_custom_roles[0] (auditor).max_session_duration: must be 3600 to 43200 seconds (1 to 12 hours), "
        "not 50000",
    ),
    "engineer-group-not-listed": (
        {"client_custom_roles": [dict(CUSTOM_ROLE, engineer_groups=["msp-interns"])]},
        "client_custom_roles[0] (auditor).engineer_groups: 'msp-interns' is not in msp_engineer_groups",
    ),
    "custom-role-key-of-a-catalogue-role": (
        {"client_custom_roles": [dict(CUSTOM_ROLE, key="oncall")]},
        "client_custom_roles[0] (oncall).key: 'oncall' is also the key of the catalogue role it gets (oncall)",
    ),
    "managed-policy-not-a-name": (
        {"client_custom_roles": [dict(CUSTOM_ROLE, managed_policies=["Security Audit!"])]},
        "client_custom_roles[0] (auditor).managed_policies: 'Security Audit!' is not an AWS-managed policy name",
    ),
}


def add_clients(inventory: Path, clients: dict) -> None:
    """Add ``{host: host_vars}`` to the inventory copy's clients group."""
    edit(
        inventory,
        "hosts.yml",
        lambda data: data["all"]["children"]["clients"]["hosts"].update({host: {} for host in clients}),
    )
    for host, variables in clients.items():
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(variables, sort_keys=False))


def test_each_broken_client_is_named_with_its_field_in_one_run(inventory, tmp_path, sandbox, sandbox_endpoint):
    hosts = {f"broken{number:02d}": kind for number, kind in enumerate(BROKEN_CLIENTS, start=1)}
    add_clients(
        inventory,
        {host: {"client_name": f"Broken {host[-2:]}", **BROKEN_CLIENTS[kind][0]} for host, kind in hosts.items()},
    )
    mark = sandbox.mark()
    rc, output = onboard(inventory, tmp_path, sandbox_endpoint, "-e", "client=acme")
    assert rc != 0, output
    for host, kind in hosts.items():
        assert f"{host}: {BROKEN_CLIENTS[kind][1]}" in output, f"{kind} on {host} not reported:\n{output}"
        assert re.search(r"\bfailed=1\b", recap(output, host)), recap(output, host)
    assert FIRST_WRITING_PLAY not in output, output
    assert writes_since(sandbox, mark) == []
    assert sandbox.call_summary(since=mark)["total"] == 0
