"""The switch-role link files' rules: entries, engineers' roles, CLI profiles, extension names, escaping, and the
plan of what a run writes and removes."""

import csv
import hashlib
import io

import pytest

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.link_publishing import (
    MFA_DEVICE_PLACEHOLDER,
    aws_config_profile,
    bitwarden_csv,
    bitwarden_folder,
    bitwarden_folders,
    engineer_entries,
    extension_config,
    extension_names,
    link_entries,
    link_files,
    markdown_page,
    mfa_serial,
    own_file,
    plan,
)

ACME = "111111111111"
IDENTITY = "123456789012"


def spec(key, role_name="MspAdmin", **fields):
    base = {
        "key": key,
        "role_name": role_name,
        "path": "/msp/",
        "display_name": f"ACME {key}",
        "color": "F2B0A9",
        "require_mfa": True,
        "max_session_duration": 3600,
        "engineer_groups": ["msp-admins"],
    }
    base.update(fields)
    return base


def client(key="acme", roles=None, **fields):
    base = {
        "host": key,
        "key": key,
        "name": "ACME Corp",
        "account_id": ACME,
        "roles": [spec("admin")] if roles is None else roles,
    }
    base.update(fields)
    return base


# --- link_entries ---------------------------------------------------------------------------------

ENTRY_CASES = [
    (
        "linked-role",
        [client()],
        "aws",
        [
            {
                "profile": "acme-admin",
                "role_arn": f"arn:aws:iam::{ACME}:role/msp/MspAdmin",
                "link_role_name": "msp/MspAdmin",
                "url": f"https://signin.aws.amazon.com/switchrole?account={ACME}&roleName=msp/MspAdmin"
                "&displayName=ACME%20admin&color=F2B0A9",
                "no_link_reason": None,
            }
        ],
    ),
    (
        "sorted-by-client-then-role",
        [client("zeta", [spec("b"), spec("a")]), client("acme", [spec("c")])],
        "aws",
        [{"profile": "acme-c"}, {"profile": "zeta-a"}, {"profile": "zeta-b"}],
    ),
    (
        "default-path-and-display-name",
        [client(roles=[spec("admin", path=None, display_name=None, color=None)])],
        "aws",
        [
            {
                "role_arn": f"arn:aws:iam::{ACME}:role/MspAdmin",
                "display_name": f"MspAdmin @ {ACME}",
                "url": f"https://signin.aws.amazon.com/switchrole?account={ACME}&roleName=MspAdmin"
                f"&displayName=MspAdmin%20%40%20{ACME}",
            }
        ],
    ),
    (
        "path-and-name-over-64-has-a-profile-but-no-link",
        [client(roles=[spec("long", role_name="R" * 61)])],
        "aws",
        [{"url": None, "role_arn": f"arn:aws:iam::{ACME}:role/msp/{'R' * 61}", "profile": "acme-long"}],
    ),
    (
        "partition-without-console",
        [client()],
        "aws-iso",
        [{"url": None, "no_link_reason": "the aws-iso partition has no console sign-in page to switch roles in"}],
    ),
    (
        "china",
        [client()],
        "aws-cn",
        [{"role_arn": f"arn:aws-cn:iam::{ACME}:role/msp/MspAdmin"}],
    ),
    (
        "session-and-mfa-defaults",
        [client(roles=[{"key": "admin", "role_name": "MspAdmin"}])],
        "aws",
        [{"require_mfa": True, "max_session_duration": 3600, "engineer_groups": [], "color": None}],
    ),
    ("no-clients", [], "aws", []),
    ("client-without-roles", [client(roles=[])], "aws", []),
]


@pytest.mark.parametrize(
    ("clients", "partition", "expected"), [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES]
)
def test_link_entries(clients, partition, expected):
    entries = link_entries(clients, partition)
    assert len(entries) == len(expected)
    for entry, want in zip(entries, expected, strict=True):
        assert {k: entry[k] for k in want} == want


def test_a_link_over_64_characters_says_why():
    [entry] = link_entries([client(roles=[spec("long", role_name="R" * 61)])])
    assert "65 characters" in entry["no_link_reason"]


ENTRY_ERRORS = [
    ("client-key-with-slash", [client("ac/me")], "clients[].key"),
    ("client-key-dot-dot", [client("..")], "clients[].key"),
    ("client-key-missing", [client(None)], "clients[].key"),
    ("account-id-short", [client(account_id="1234")], "clients[acme].account_id"),
    ("account-id-missing", [client(account_id=None)], "clients[acme].account_id"),
    ("role-key-with-space", [client(roles=[spec("the admin")])], "clients[acme].roles[].key"),
    (
        "role-name-invalid",
        [client(roles=[spec("admin", role_name="Msp Admin")])],
        "clients[acme].roles[admin].role_name",
    ),
    ("colour-with-hash", [client(roles=[spec("admin", color="#F2B0A9")])], "clients[acme].roles[admin].color"),
    (
        "two-roles-one-profile",
        [client("a-b", [spec("c")]), client("a", [spec("b-c")])],
        "clients[a-b].roles[c].key",
    ),
    # Two roles of one client with one key would be two identical [profile acme-admin] sections.
    (
        "two-roles-one-key",
        [client(roles=[spec("admin"), spec("admin", role_name="Other")])],
        "clients[acme].roles[admin].key",
    ),
    ("two-clients-one-key", [client("acme"), client("acme", account_id="222222222222")], "clients[acme].key"),
    # '$' matches before a final newline: "acme\n" would make [profile acme\n-admin].
    ("client-key-trailing-newline", [client("acme\n")], "clients[].key"),
    ("role-key-trailing-newline", [client(roles=[spec("admin\n")])], "clients[acme].roles[].key"),
    ("account-id-trailing-newline", [client(account_id=ACME + "\n")], "clients[acme].account_id"),
    (
        "role-name-trailing-newline",
        [client(roles=[spec("admin", role_name="MspAdmin\n")])],
        "clients[acme].roles[admin].role_name",
    ),
    ("colour-trailing-newline", [client(roles=[spec("admin", color="F2B0A9\n")])], "clients[acme].roles[admin].color"),
]


@pytest.mark.parametrize(("clients", "option"), [c[1:] for c in ENTRY_ERRORS], ids=[c[0] for c in ENTRY_ERRORS])
def test_link_entries_refuses_bad_input(clients, option):
    with pytest.raises(InvalidInput) as raised:
        link_entries(clients)
    assert raised.value.option == option


# --- engineer_entries -----------------------------------------------------------------------------

ENGINEER_CLIENTS = [
    client("acme", [spec("admin", engineer_groups=["msp-admins"]), spec("oncall", engineer_groups=["msp-oncall"])]),
    client("globex-key", [spec("oncall", engineer_groups=["msp-admins", "msp-oncall"])], host="globex"),
]

ENGINEER_CASES = [
    ("admin-gets-their-groups-roles", {"groups": ["msp-admins"]}, None, ["acme-admin", "globex-key-oncall"]),
    ("two-groups", {"groups": ["msp-admins", "msp-oncall"]}, None, ["acme-admin", "acme-oncall", "globex-key-oncall"]),
    ("no-groups", {"groups": []}, None, []),
    ("unknown-group", {"groups": ["sales"]}, None, []),
    (
        "group-serving-one-client",
        {"groups": ["msp-oncall"]},
        [{"name": "msp-oncall", "clients": ["globex"]}],
        ["globex-key-oncall"],
    ),
    (
        "group-listing-a-client-key-does-not-serve-it",  # clients are inventory names, as engineer_access reads them
        {"groups": ["msp-oncall"]},
        [{"name": "msp-oncall", "clients": ["globex-key"]}],
        [],
    ),
    (
        "group-clients-omitted-serves-all",
        {"groups": ["msp-oncall"]},
        [{"name": "msp-oncall", "clients": None}],
        ["acme-oncall", "globex-key-oncall"],
    ),
    (
        "group-serving-no-client",
        {"groups": ["msp-oncall"]},
        [{"name": "msp-oncall", "clients": []}],
        [],
    ),
    (
        "another-group-may-serve-the-client",
        {"groups": ["msp-admins", "msp-oncall"]},
        [{"name": "msp-oncall", "clients": []}],
        ["acme-admin", "globex-key-oncall"],
    ),
]


@pytest.mark.parametrize(
    ("engineer", "groups", "profiles"), [c[1:] for c in ENGINEER_CASES], ids=[c[0] for c in ENGINEER_CASES]
)
def test_engineer_entries(engineer, groups, profiles):
    entries = link_entries(ENGINEER_CLIENTS)
    assert [e["profile"] for e in engineer_entries(entries, engineer, groups)] == profiles


# --- the ~/.aws/config profile --------------------------------------------------------------------

SERIAL = f"arn:aws:iam::{IDENTITY}:mfa/alice"
PROFILE_CASES = [
    (
        "mfa-one-hour",
        spec("admin"),
        {
            "role_arn": f"arn:aws:iam::{ACME}:role/msp/MspAdmin",
            "source_profile": "msp-main",
            "mfa_serial": SERIAL,
            "region": "eu-west-1",
            "color": "F2B0A9",
        },
    ),
    (
        "longer-session-asks-for-it",
        spec("oncall", role_name="MspOnCall", max_session_duration=43200, color=None),
        {
            "role_arn": f"arn:aws:iam::{ACME}:role/msp/MspOnCall",
            "source_profile": "msp-main",
            "mfa_serial": SERIAL,
            "region": "eu-west-1",
            "duration_seconds": "43200",
        },
    ),
    (
        "no-mfa-no-serial",
        spec("bot", role_name="Bot", require_mfa=False, color=None),
        {
            "role_arn": f"arn:aws:iam::{ACME}:role/msp/Bot",
            "source_profile": "msp-main",
            "region": "eu-west-1",
        },
    ),
]


@pytest.mark.parametrize(("role", "profile"), [c[1:] for c in PROFILE_CASES], ids=[c[0] for c in PROFILE_CASES])
def test_aws_config_profile(role, profile):
    [entry] = link_entries([client(roles=[role])])
    result = aws_config_profile(entry, "msp-main", "eu-west-1", SERIAL)
    assert result == profile
    assert list(result) == list(profile)  # the order they are written in


def test_mfa_serial():
    assert mfa_serial("aws-us-gov", IDENTITY, "alice") == f"arn:aws-us-gov:iam::{IDENTITY}:mfa/alice"


# --- aws-extend-switch-roles ----------------------------------------------------------------------

NAME_CASES = [
    ("display-name", [spec("admin", display_name="ACME admin")], ["ACME admin"]),
    ("comment-characters-dropped", [spec("admin", display_name="ACME; admin #1")], ["ACME admin 1"]),
    (
        "duplicates-made-unique",
        [spec("a", display_name="Admin"), spec("b", display_name="Admin")],
        ["Admin (acme-a)", "Admin (acme-b)"],
    ),
    ("the-base-name-is-taken", [spec("admin", display_name="msp-main")], ["msp-main (acme-admin)"]),
    ("nothing-left", [spec("admin", display_name=";#")], ["acme-admin"]),
]


@pytest.mark.parametrize(("roles", "names"), [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES])
def test_extension_names(roles, names):
    entries = link_entries([client(roles=roles)])
    assert list(extension_names(entries, "msp-main").values()) == names


def test_extension_config_without_links_has_no_base_account():
    # The extension reads a base account without targets as a role without role_name, and refuses it.
    ctx = {"identity_account_id": IDENTITY, "source_profile": "msp-main"}
    text = extension_config(link_entries([client(roles=[spec("long", role_name="R" * 61)])]), ctx, "t")
    assert all(line.startswith(";") for line in text.splitlines())
    assert "; Left out: ACME long (profile acme-long): no console link (path and name together are 65" in text


@pytest.mark.parametrize(
    ("role_name", "path"), [("Msp=Ops", "/msp/"), ("MspOps", "/a=b/")], ids=["in-the-name", "in-the-path"]
)
def test_extension_config_leaves_out_a_role_with_an_equals_sign(role_name, path):
    # aesr-config's parser reads "role_arn = arn:...:role/msp/Msp=Ops" with split("=", 2): "arn:...:role/msp/Msp".
    ctx = {"identity_account_id": IDENTITY, "source_profile": "msp-main"}
    entries = link_entries([client(roles=[spec("admin"), spec("ops", role_name=role_name, path=path)])])
    assert entries[1]["url"] is not None  # The console's link is fine ('=' is %3D in it).
    text = extension_config(entries, ctx, "t")
    settings = [line for line in text.splitlines() if line and not line.startswith(";")]
    assert [line for line in settings if line.startswith("role_arn")] == [
        f"role_arn = arn:aws:iam::{ACME}:role/msp/MspAdmin"
    ]
    assert "; Left out: ACME ops (profile acme-ops): its path or name has an '='" in text


# --- escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "folder"),
    [("ACME Corp", "ACME Corp"), ("ACME/EU", "ACME-EU"), ("A\\B", "A-B"), ("Two\nlines", "Two lines")],
    ids=["plain", "slash", "backslash", "newline"],
)
def test_bitwarden_folder(name, folder):
    assert bitwarden_folder(name) == folder


FOLDER_CASES = [
    ("different-names", [("acme", "ACME Corp"), ("globex", "Globex")], ["ACME Corp", "Globex"]),
    ("one-name", [("acme", "ACME"), ("acme-eu", "ACME")], ["ACME (acme)", "ACME (acme-eu)"]),
    ("one-folder-after-slashes", [("a", "A/B"), ("b", "A-B")], ["A-B (a)", "A-B (b)"]),
]


@pytest.mark.parametrize(("named", "folders"), [c[1:] for c in FOLDER_CASES], ids=[c[0] for c in FOLDER_CASES])
def test_bitwarden_folders_differ_per_client(named, folders):
    entries = link_entries([client(key, name=name) for key, name in named])
    assert list(bitwarden_folders(entries).values()) == folders
    ctx = {"identity_account_id": IDENTITY}
    rows = list(csv.DictReader(io.StringIO(bitwarden_csv(entries, ctx), newline="")))
    assert [row["folder"] for row in rows] == folders


def test_markdown_escapes_names():
    entries = link_entries([client(name="Ben & Jerry's <EU> *|[x]", roles=[spec("admin", display_name="a_b")])])
    page = markdown_page("T", [], [(entries[0], entries)])
    assert "## Ben \\& Jerry's \\<EU\\> \\*\\|\\[x\\] (account 111111111111)" in page
    assert "| [a\\_b](https://signin.aws.amazon.com/switchrole?" in page


# --- all files ------------------------------------------------------------------------------------

FILES_ERRORS = [
    ("identity-account", {"identity_account_id": "12"}, "identity_account_id"),
    ("identity-account-trailing-newline", {"identity_account_id": IDENTITY + "\n"}, "identity_account_id"),
    ("source-profile", {"source_profile": "my profile"}, "source_profile"),
    ("source-profile-trailing-newline", {"source_profile": "msp-main\n"}, "source_profile"),
    ("engineer-name", {"engineers": [{"name": "../x"}]}, "engineers[].name"),
    ("engineer-dot-dot", {"engineers": [{"name": ".."}]}, "engineers[].name"),
    ("engineer-name-trailing-newline", {"engineers": [{"name": "bob\n"}]}, "engineers[].name"),
    ("engineer-twice", {"engineers": [{"name": "bob"}, {"name": "bob"}]}, "engineers[bob]"),
    # The MFA device goes into mfa_serial: IAM's rule for its name, as for the engineer's.
    ("mfa-device-with-space", {"engineers": [{"name": "bob", "mfa_device": "bob phone"}]}, "engineers[bob].mfa_device"),
    ("mfa-device-with-slash", {"engineers": [{"name": "bob", "mfa_device": "a/b"}]}, "engineers[bob].mfa_device"),
    ("mfa-device-empty", {"engineers": [{"name": "bob", "mfa_device": ""}]}, "engineers[bob].mfa_device"),
    (
        "mfa-device-trailing-newline",
        {"engineers": [{"name": "bob", "mfa_device": "bob\n"}]},
        "engineers[bob].mfa_device",
    ),
    # The names start cells of the CSV files: a spreadsheet would run these as formulas.
    *(
        (f"client-name-starting-with-{ord(c)}", {"clients": [client(name=f"{c}HYPERLINK(x)")]}, "clients[acme].name")
        for c in "=+-@\t\r"
    ),
    ("client-name-formula-after-space", {"clients": [client(name=" =1+1")]}, "clients[acme].name"),
    (
        "display-name-formula",
        {"clients": [client(roles=[spec("admin", display_name="=cmd|' /C calc'!A0")])]},
        "clients[acme].roles[admin].display_name",
    ),
    (
        "default-display-name-formula",
        {"clients": [client(roles=[spec("admin", role_name="+Admin", display_name=None)])]},
        "clients[acme].roles[admin].display_name",
    ),
]


@pytest.mark.parametrize(("given", "option"), [c[1:] for c in FILES_ERRORS], ids=[c[0] for c in FILES_ERRORS])
def test_link_files_refuses_bad_input(given, option):
    args = {
        "clients": [client()],
        "engineers": [],
        "identity_account_id": IDENTITY,
        "source_profile": "msp-main",
        "region": "us-east-1",
    }
    args.update(given)
    with pytest.raises(InvalidInput) as raised:
        link_files(**args)
    assert raised.value.option == option


@pytest.mark.parametrize(
    "name",
    ["ACME Corp", "3M", "O'Brien & Sons (EU)", "Zürich Versicherung", "#1 Logistics", "ACME - EU", "a+b", "x=y"],
)
def test_link_files_takes_realistic_names(name):
    files = link_files(
        [client(name=name, roles=[spec("admin", display_name=f"{name} admin")])], [], IDENTITY, "msp-main", "us-east-1"
    )
    assert name in files["clients/acme/bitwarden.csv"]


def test_link_files_takes_a_valid_mfa_device():
    files = link_files(
        [client()], [{"name": "bob", "groups": [], "mfa_device": "bob+phone@2"}], IDENTITY, "msp-main", "us-east-1"
    )
    assert f"arn:aws:iam::{IDENTITY}:mfa/bob+phone@2" in files["engineers/bob/aws-config"]


def test_link_files_layout():
    files = link_files(
        [client("acme"), client("globex")], [{"name": "alice", "groups": []}], IDENTITY, "msp-main", "us-east-1"
    )
    per_client = [
        "1password.csv",
        "aws-config",
        "aws-extend-switch-roles.ini",
        "bitwarden.csv",
        "index.html",
        "index.md",
    ]
    assert list(files) == sorted(
        [
            "aws-config",
            "aws-extend-switch-roles.ini",
            "bitwarden.csv",
            "index.html",
            "index.md",
            *(f"clients/acme/{n}" for n in per_client),
            *(f"clients/globex/{n}" for n in per_client),
            "engineers/alice/aws-config",
            "engineers/alice/aws-extend-switch-roles.ini",
        ]
    )
    # Every file the role writes is one it may remove later, and the names it never writes are not.
    assert all(own_file(path) for path in files)
    assert not any(own_file(path) for path in ["1password.csv", "engineers/alice/index.html", "clients/acme/x.txt"])
    assert MFA_DEVICE_PLACEHOLDER in files["aws-config"]
    assert "may assume no client role" in files["engineers/alice/aws-config"]


# --- the plan -------------------------------------------------------------------------------------


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


WANTED = {"index.html": "<p>é</p>\n", "clients/acme/index.html": "acme\n", "engineers/alice/aws-config": "[x]\n"}


def found(path, content=None, mode="0600", isdir=False, **extra):
    entry = {"path": path, "isdir": isdir, "mode": mode, "checksum": None if isdir else sha1(content or "")}
    entry.update(extra)
    return entry


UP_TO_DATE = [
    found("index.html", "<p>é</p>\n"),
    found("clients", isdir=True, mode="0700"),
    found("clients/acme", isdir=True, mode="0700"),
    found("clients/acme/index.html", "acme\n"),
    found("engineers", isdir=True, mode="0700"),
    found("engineers/alice", isdir=True, mode="0700"),
    found("engineers/alice/aws-config", "[x]\n"),
]

PLAN_CASES = [
    (
        "empty-directory",
        [],
        {
            "directories": ["clients", "clients/acme", "engineers", "engineers/alice"],
            "write": ["clients/acme/index.html", "engineers/alice/aws-config", "index.html"],
            "remove": [],
        },
    ),
    ("up-to-date", UP_TO_DATE, {"directories": [], "write": [], "remove": []}),
    (
        "content-changed",
        [*UP_TO_DATE[1:], found("index.html", "old\n")],
        {"directories": [], "write": ["index.html"], "remove": []},
    ),
    (
        "mode-changed",
        [*UP_TO_DATE[:-1], found("engineers/alice/aws-config", "[x]\n", mode="0644")],
        {"directories": [], "write": ["engineers/alice/aws-config"], "remove": []},
    ),
    (
        "folder-mode-changed",
        [*UP_TO_DATE[:2], found("clients/acme", isdir=True, mode="0755"), *UP_TO_DATE[3:]],
        {"directories": ["clients/acme"], "write": [], "remove": []},
    ),
    (
        "a-link-where-a-file-belongs",
        [*UP_TO_DATE[1:], found("index.html", "<p>é</p>\n", islnk=True)],
        {"directories": [], "write": ["index.html"], "remove": []},
    ),
    (
        "client-gone",
        [
            *UP_TO_DATE,
            found("clients/oldco", isdir=True, mode="0700"),
            found("clients/oldco/index.html", "x"),
            found("clients/oldco/1password.csv", "x"),
        ],
        {
            "directories": [],
            "write": [],
            "remove": ["clients/oldco/1password.csv", "clients/oldco/index.html", "clients/oldco"],
        },
    ),
    (
        "foreign-files-stay",
        [
            *UP_TO_DATE,
            found("notes.txt", "mine"),
            found("clients/acme/notes.txt", "mine"),
            found("clients/oldco", isdir=True, mode="0700"),
            found("clients/oldco/index.md", "x"),
            found("clients/oldco/keep.txt", "mine"),
            found("other", isdir=True, mode="0700"),
            found("other/index.html", "not ours"),
        ],
        {"directories": [], "write": [], "remove": ["clients/oldco/index.md"]},
    ),
    (
        # The role writes no 1password.csv at the top, and only aws-config and the extension's file for engineers.
        "names-the-role-never-writes-there-stay",
        [
            *UP_TO_DATE,
            found("1password.csv", "mine"),
            *(
                found(f"engineers/alice/{n}", "mine")
                for n in ("index.html", "index.md", "bitwarden.csv", "1password.csv")
            ),
        ],
        {"directories": [], "write": [], "remove": []},
    ),
    (
        "engineer-gone-keeps-a-file-the-role-never-wrote-there",
        [
            *UP_TO_DATE,
            found("engineers/bob", isdir=True, mode="0700"),
            found("engineers/bob/aws-config", "x"),
            found("engineers/bob/aws-extend-switch-roles.ini", "x"),
            found("engineers/bob/index.html", "mine"),
        ],
        {
            "directories": [],
            "write": [],
            "remove": ["engineers/bob/aws-config", "engineers/bob/aws-extend-switch-roles.ini"],
        },
    ),
    (
        "client-gone-all-its-names-go",
        [
            *UP_TO_DATE,
            found("clients/oldco", isdir=True, mode="0700"),
            *(
                found(f"clients/oldco/{n}", "x")
                for n in ("index.html", "index.md", "aws-config", "aws-extend-switch-roles.ini", "bitwarden.csv")
            ),
        ],
        {
            "directories": [],
            "write": [],
            "remove": [
                "clients/oldco/aws-config",
                "clients/oldco/aws-extend-switch-roles.ini",
                "clients/oldco/bitwarden.csv",
                "clients/oldco/index.html",
                "clients/oldco/index.md",
                "clients/oldco",
            ],
        },
    ),
    (
        "engineer-gone-empty-folder",
        [*UP_TO_DATE, found("engineers/bob", isdir=True, mode="0700")],
        {"directories": [], "write": [], "remove": ["engineers/bob"]},
    ),
    (
        "a-folder-inside-a-gone-folder-keeps-it",
        [*UP_TO_DATE, found("engineers/bob", isdir=True), found("engineers/bob/sub", isdir=True)],
        {"directories": [], "write": [], "remove": []},
    ),
]


@pytest.mark.parametrize(("existing", "expected"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES])
def test_plan(existing, expected):
    assert plan(existing, WANTED, "0600", "0700") == expected


@pytest.mark.parametrize(("file_mode", "directory_mode"), [("600", "700"), ("0600", "0700"), ("0644", "1777")])
def test_plan_takes_octal_modes(file_mode, directory_mode):
    assert plan([], WANTED, file_mode, directory_mode)["write"] == sorted(WANTED)


@pytest.mark.parametrize(
    ("file_mode", "directory_mode", "option"),
    [
        # A symbolic mode never equals the octal mode find reports: every run would write every file.
        ("u=rw", "0700", "file_mode"),
        ("0600", "u=rwx,go=", "directory_mode"),
        ("0o600", "0700", "file_mode"),
        ("60", "0700", "file_mode"),
        ("06000", "0700", "file_mode"),
        ("0680", "0700", "file_mode"),
        ("0600\n", "0700", "file_mode"),
        (384, "0700", "file_mode"),
        ("0600", None, "directory_mode"),
    ],
)
def test_plan_refuses_a_mode_that_is_not_octal(file_mode, directory_mode, option):
    with pytest.raises(InvalidInput) as raised:
        plan(UP_TO_DATE, WANTED, file_mode, directory_mode)
    assert raised.value.option == option
