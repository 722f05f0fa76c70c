"""The switch-role link filters, checked the way their readers read the files: the CSVs with the csv module against
the columns Bitwarden and 1Password document, the HTML with a strict html.parser and its links with urllib, the
CLI profiles with configparser, the extension's configuration with a port of its own parser."""

import configparser
import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.msp.aws_accounts.plugins.filter.switch_role_links import (
    FilterModule,
    switch_role_link_files,
    switch_role_link_plan,
    switch_role_links,
)

IDENTITY = "123456789012"
ACME = "111111111111"
BEN = "222222222222"

# https://bitwarden.com/help/condition-bitwarden-import/ (individual vault)
BITWARDEN_COLUMNS = [
    "folder",
    "favorite",
    "type",
    "name",
    "notes",
    "fields",
    "reprompt",
    "login_uri",
    "login_username",
    "login_password",
    "login_totp",
]
# https://support.1password.com/import-1password-com/ (accounts on 1Password.com, the current product): one login
# per line with a username, password and website field, the same number of fields on every line, no header row in
# its example; the order of https://support.1password.com/cs/import-mac/ (1Password 7 for Mac, Login items).
ONEPASSWORD_COLUMNS = ["title", "website", "username", "password", "notes"]


def role(key, role_name, display_name, color=None, groups=("msp-admins",), duration=3600, **extra):
    spec = {
        "key": key,
        "role_name": role_name,
        "path": "/msp/",
        "description": None,
        "managed_policies": [],
        "inline_policies": {},
        "require_mfa": True,
        "mfa_max_age": None,
        "max_session_duration": duration,
        "color": color,
        "display_name": display_name,
        "engineer_groups": list(groups),
        "custom": False,
    }
    spec.update(extra)
    return spec


CLIENTS = [
    {
        "host": "acme",
        "key": "acme",
        "name": "ACME Corp",
        "account_id": ACME,
        "join": "create",
        "email": "awsaccounts+acme@msp.example",
        "roles": [
            role("admin", "MspAdmin", "ACME Corp admin", "F2B0A9"),
            role("oncall", "MspOnCall", "ACME Corp on-call", "B7CA9D", ("msp-admins", "msp-oncall"), 43200),
        ],
    },
    {
        "host": "ben",
        "key": "ben",
        "name": "Ben & Jerry's <EU>",
        "account_id": BEN,
        "join": "invite",
        "email": "root@ben.example",
        "roles": [
            role("admin", "MspAdmin", "Ben & Jerry's <EU> admin; #1", None, description='Say "hi", then <b>leave</b>'),
            # Path and name over the console's 64 characters: a CLI profile, no link.
            role("long", "R" * 61, "Too long"),
            role("bot", "Bot", "Ben's bot", "00FF00", ("msp-oncall",), require_mfa=False),
        ],
    },
]
ENGINEERS = [
    {"name": "alice", "groups": ["msp-admins"]},
    {"name": "bob", "groups": ["msp-oncall"], "mfa_device": "bob-phone"},
    {"name": "carol", "groups": []},
]
GROUPS = [{"name": "msp-admins"}, {"name": "msp-oncall", "clients": ["acme"]}]
LINKED = {  # profile -> (account, roleName, displayName, color)
    "acme-admin": (ACME, "msp/MspAdmin", "ACME Corp admin", "F2B0A9"),
    "acme-oncall": (ACME, "msp/MspOnCall", "ACME Corp on-call", "B7CA9D"),
    "ben-admin": (BEN, "msp/MspAdmin", "Ben & Jerry's <EU> admin; #1", None),
    "ben-bot": (BEN, "msp/Bot", "Ben's bot", "00FF00"),
}


@pytest.fixture(scope="module")
def files():
    return switch_role_link_files(CLIENTS, ENGINEERS, IDENTITY, "msp-main", "us-east-1", "Example & Co", GROUPS)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"switch_role_link_files", "switch_role_links", "switch_role_link_plan"}


def test_output_is_deterministic(files):
    again = switch_role_link_files(
        list(reversed(CLIENTS)), list(reversed(ENGINEERS)), IDENTITY, "msp-main", "us-east-1", "Example & Co", GROUPS
    )
    assert again == files
    assert list(files) == sorted(files)
    assert not any(re.search(r"\b20\d\d-\d\d-\d\d", text) for text in files.values())


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("path", ["bitwarden.csv", "clients/acme/bitwarden.csv", "clients/ben/bitwarden.csv"])
def test_bitwarden_csv_has_the_documented_columns(files, path):
    reader = csv.reader(io.StringIO(files[path], newline=""))
    header = next(reader)
    assert header == BITWARDEN_COLUMNS
    assert all(len(row) == len(BITWARDEN_COLUMNS) for row in reader)


def test_bitwarden_csv_one_login_per_link_in_a_folder_per_client(files):
    rows = read_csv(files["bitwarden.csv"])
    assert [(r["folder"], r["name"]) for r in rows] == [
        ("ACME Corp", "ACME Corp admin"),
        ("ACME Corp", "ACME Corp on-call"),
        ("Ben & Jerry's <EU>", "Ben & Jerry's <EU> admin; #1"),
        ("Ben & Jerry's <EU>", "Ben's bot"),
    ]
    for r in rows:
        assert r["type"] == "login"
        assert r["favorite"] == "0"
        assert r["reprompt"] == "0"
        assert r["login_password"] == ""
        assert r["login_totp"] == ""
        assert r["login_username"] == query(r["login_uri"])["account"]
        # Custom fields are "name: value" lines.
        fields = dict(line.rsplit(": ", 1) for line in r["fields"].split("\n"))
        assert fields["Account"] == r["login_username"]
    assert 'Say "hi", then <b>leave</b>' in rows[2]["notes"]
    assert [r["name"] for r in read_csv(files["clients/acme/bitwarden.csv"])] == [
        "ACME Corp admin",
        "ACME Corp on-call",
    ]


@pytest.mark.parametrize(
    ("client", "names"),
    [("acme", ["ACME Corp admin", "ACME Corp on-call"]), ("ben", ["Ben & Jerry's <EU> admin; #1", "Ben's bot"])],
)
def test_1password_csv_one_per_client_with_the_documented_columns(files, client, names):
    text = files[f"clients/{client}/1password.csv"]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # No header row: every line is a login, as in the example of the 1Password.com page.
    assert all(len(row) == len(ONEPASSWORD_COLUMNS) for row in rows)
    assert [row[0] for row in rows] == names
    for row in rows:
        item = dict(zip(ONEPASSWORD_COLUMNS, row, strict=True))
        assert query(item["website"])["displayName"] == item["title"]
        assert item["username"] == query(item["website"])["account"]
        # The password field is there and empty: the engineer's own main-account password, not stored.
        assert item["password"] == ""
        assert "The password is left empty: it is your own, for the main account" in item["notes"]
    assert "1password.csv" not in files  # 1Password imports one file into one vault: one per client.


# --- HTML -----------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class StrictPage(HTMLParser):
    """Balanced tags, a doctype, a charset, and no text that an HTML parser would have to guess at."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.doctype, self.charset, self.links, self.problems = [], None, None, [], []
        self.texts, self.in_link = [], False

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "charset" in attrs:
            self.charset = attrs["charset"]
        if tag == "a" and "switch-role" in (attrs.get("class") or ""):
            self.links.append(attrs["href"])
            self.texts.append("")
            self.in_link = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")
        if tag == "a":
            self.in_link = False

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            return
        if re.search(r"[<>]", data) or re.search(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", data):
            self.problems.append(f"unescaped text {data!r}")
        if self.in_link:
            self.texts[-1] += data

    def handle_entityref(self, name):
        if self.in_link:
            self.texts[-1] += {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}[name]

    def handle_charref(self, name):
        if self.in_link:
            self.texts[-1] += chr(int(name[1:], 16) if name.startswith("x") else int(name))


def parse_page(text):
    page = StrictPage()
    page.feed(text)
    page.close()
    return page


def query(url):
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "signin.aws.amazon.com", "/switchrole")
    values = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in values.values())
    return {k: v[0] for k, v in values.items()}


@pytest.mark.parametrize(
    ("path", "profiles"),
    [
        ("index.html", list(LINKED)),
        ("clients/acme/index.html", ["acme-admin", "acme-oncall"]),
        ("clients/ben/index.html", ["ben-admin", "ben-bot"]),
    ],
)
def test_html_page_is_valid_and_every_link_is_right(files, path, profiles):
    page = parse_page(files[path])
    assert page.problems == []
    assert page.stack == []
    assert page.doctype.lower() == "doctype html"
    assert page.charset == "utf-8"
    assert len(page.links) == len(profiles)
    for href, text, profile in zip(page.links, page.texts, profiles, strict=True):
        account, role_name, display_name, color = LINKED[profile]
        expected = {"account": account, "roleName": role_name, "displayName": display_name}
        if color:
            expected["color"] = color
        assert query(href) == expected
        assert text == display_name


def test_html_escapes_names_and_notes_the_role_without_a_link(files):
    text = files["index.html"]
    assert "Ben &amp; Jerry&#x27;s &lt;EU&gt;" in text
    assert "<EU>" not in text
    assert "No console link for Too long (msp/RRRR" in text
    assert '<span class="swatch" style="background-color:#F2B0A9"></span>' in text
    assert '<a href="clients/ben/index.html">' in text
    assert "<title>Example &amp; Co: switch-role links</title>" in text


def test_markdown_links_are_right(files):
    text = files["index.md"]
    urls = re.findall(r"\]\((https://[^)\s]+)\)", text)
    assert [query(u)["displayName"] for u in urls] == [v[2] for v in LINKED.values()]
    assert "## [Ben \\& Jerry's \\<EU\\>](clients/ben/index.md) (account 222222222222)" in text
    assert "`#F2B0A9`" in text
    assert "No console link for Too long" in text


# --- ~/.aws/config --------------------------------------------------------------------------------


def read_config(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return {section: dict(parser[section]) for section in parser.sections()}


def test_shared_aws_config_has_every_profile_with_a_placeholder_serial(files):
    profiles = read_config(files["aws-config"])
    assert list(profiles) == [
        "profile acme-admin",
        "profile acme-oncall",
        "profile ben-admin",
        "profile ben-bot",
        "profile ben-long",
    ]
    for name, keys in profiles.items():
        assert keys["source_profile"] == "msp-main"
        assert keys["region"] == "us-east-1"
        assert re.match(r"^arn:aws:iam::\d{12}:role/msp/\w+$", keys["role_arn"])
        if name == "profile ben-bot":
            assert "mfa_serial" not in keys  # The role does not require MFA.
        else:
            assert keys["mfa_serial"] == f"arn:aws:iam::{IDENTITY}:mfa/<your-mfa-device>"
    assert profiles["profile acme-oncall"]["duration_seconds"] == "43200"
    assert "duration_seconds" not in profiles["profile acme-admin"]
    assert profiles["profile ben-long"]["role_arn"] == f"arn:aws:iam::{BEN}:role/msp/{'R' * 61}"
    assert list(read_config(files["clients/acme/aws-config"])) == ["profile acme-admin", "profile acme-oncall"]


ENGINEER_PROFILES = [
    ("alice", f"arn:aws:iam::{IDENTITY}:mfa/alice", ["acme-admin", "acme-oncall", "ben-admin", "ben-long"]),
    # msp-oncall serves acme only: ben's bot is not bob's.
    ("bob", f"arn:aws:iam::{IDENTITY}:mfa/bob-phone", ["acme-oncall"]),
    ("carol", None, []),
]


@pytest.mark.parametrize(("name", "serial", "profiles"), ENGINEER_PROFILES, ids=[c[0] for c in ENGINEER_PROFILES])
def test_engineer_aws_config_has_their_serial_and_only_their_roles(files, name, serial, profiles):
    config = read_config(files[f"engineers/{name}/aws-config"])
    assert list(config) == [f"profile {p}" for p in profiles]
    for keys in config.values():
        assert {"role_arn", "source_profile", "mfa_serial", "region"} <= set(keys)
        assert keys["mfa_serial"] == serial


# --- aws-extend-switch-roles ----------------------------------------------------------------------


def parse_extension(text):
    """A port of aesr-config (https://github.com/tilfinltd/aesr-config, src/ini-parser.ts, config-loader.ts and
    profile-set.ts), the parser of aws-extend-switch-roles: errors where it has errors."""
    sections, current = [], None
    for line in re.split(r"\r\n|\r|\n", text):
        line = re.sub(r"[;#].*$", "", line).strip()
        if not line:
            continue
        header = re.match(r"^\[(.+)\]$", line)
        if header:
            current = {"name": re.sub(r"^profile\s+", "", header.group(1).strip(), flags=re.I), "params": {}}
            sections.append(current)
            continue
        assert current is not None, "Unexpected text"
        key, _sep, value = line.partition("=")
        value = value.split("=")[0].strip()  # JavaScript's split("=", 2) drops what follows a second "=".
        assert value, f"Invalid parameter definition: {line}"
        assert key.strip() not in current["params"], f"duplicated {key}"
        current["params"][key.strip()] = value
    profiles, targets = [], {}
    for section in sections:
        params = dict(section["params"])
        source = params.pop("source_profile", None)
        if "role_arn" in params:
            assert "aws_account_id" not in params and "role_name" not in params
            prefix, _slash, role_name = params.pop("role_arn").partition("/")
            parts = prefix.split(":")
            assert parts[0] == "arn" and parts[2] == "iam" and parts[3] == "" and parts[5] == "role"
            params.update(aws_account_id=parts[4], role_name=role_name)
        assert params.get("aws_account_id"), "The profile doesn't specify an AWS account ID."
        item = {"name": section["name"], **params}
        if source:
            targets.setdefault(source, []).append(item)
        profiles.append((item, not source))
    singles, complexes = [], []
    for item, is_root in profiles:
        if item["name"] in targets:
            complexes.append({**item, "targets": targets.pop(item["name"])})
        elif is_root:
            assert item.get("role_name"), "singles[].role_name is required"
            singles.append(item)
    assert not targets, f"referenced as source_profile but not defined: {list(targets)}"
    for base in complexes:
        for target in base["targets"]:
            assert target.get("role_name") or base.get("target_role_name")
    return singles, complexes


EXTENSION_CASES = [
    ("aws-extend-switch-roles.ini", list(LINKED)),
    ("clients/ben/aws-extend-switch-roles.ini", ["ben-admin", "ben-bot"]),
    ("engineers/bob/aws-extend-switch-roles.ini", ["acme-oncall"]),
    ("engineers/carol/aws-extend-switch-roles.ini", []),
]


@pytest.mark.parametrize(("path", "profiles"), EXTENSION_CASES, ids=[c[0] for c in EXTENSION_CASES])
def test_extension_config_is_in_its_documented_format(files, path, profiles):
    singles, complexes = parse_extension(files[path])
    assert singles == []
    if not profiles:
        assert complexes == []
        return
    [base] = complexes
    assert (base["name"], base["aws_account_id"]) == ("msp-main", IDENTITY)
    got = [(t["aws_account_id"], t["role_name"], t.get("color")) for t in base["targets"]]
    assert got == [(LINKED[p][0], LINKED[p][1], LINKED[p][3]) for p in profiles]
    for target in base["targets"]:
        assert ";" not in target["name"] and "#" not in target["name"]


def test_extension_config_leaves_out_a_role_whose_arn_the_extension_would_cut():
    clients = [{**CLIENTS[0], "roles": [*CLIENTS[0]["roles"], role("eq", "Msp=Ops", "ACME ops")]}]
    files = switch_role_link_files(clients, [], IDENTITY, "msp-main", "us-east-1")
    _singles, [base] = parse_extension(files["aws-extend-switch-roles.ini"])
    # Without the '=' role left out, the port of the extension's parser reads its role as "msp/Msp".
    assert [t["role_name"] for t in base["targets"]] == ["msp/MspAdmin", "msp/MspOnCall"]
    assert "; Left out: ACME ops (profile acme-eq): its path or name has an '='" in files["aws-extend-switch-roles.ini"]
    # The console link, the CLI profile and the password-manager entries keep it.
    assert "roleName=msp/Msp%3DOps" in files["index.html"]
    assert "[profile acme-eq]" in files["aws-config"]
    assert read_config(files["aws-config"])["profile acme-eq"]["role_arn"] == f"arn:aws:iam::{ACME}:role/msp/Msp=Ops"
    assert "ACME ops" in files["clients/acme/1password.csv"]


def test_bitwarden_folders_of_clients_with_one_name_differ(files):
    clients = [CLIENTS[0], {**CLIENTS[0], "key": "acme-eu", "host": "acme-eu", "account_id": BEN}]
    files = switch_role_link_files(clients, [], IDENTITY, "msp-main", "us-east-1")
    folders = [r["folder"] for r in read_csv(files["bitwarden.csv"])]
    assert folders == ["ACME Corp (acme)"] * 2 + ["ACME Corp (acme-eu)"] * 2
    # The same folder in the client's own file, so importing both files fills one folder.
    assert {r["folder"] for r in read_csv(files["clients/acme-eu/bitwarden.csv"])} == {"ACME Corp (acme-eu)"}


def test_extension_config_names_are_the_display_names(files):
    _singles, [base] = parse_extension(files["aws-extend-switch-roles.ini"])
    assert [t["name"] for t in base["targets"]] == [
        "ACME Corp admin",
        "ACME Corp on-call",
        "Ben & Jerry's <EU> admin 1",
        "Ben's bot",
    ]


# --- the links, the plan, errors ------------------------------------------------------------------


def test_switch_role_links():
    links = switch_role_links(CLIENTS)
    assert [(link["profile"], link["url"] is not None) for link in links] == [
        ("acme-admin", True),
        ("acme-oncall", True),
        ("ben-admin", True),
        ("ben-bot", True),
        ("ben-long", False),
    ]
    assert query(links[0]["url"])["displayName"] == "ACME Corp admin"


def test_switch_role_link_plan_works_on_absolute_paths():
    found = [
        {"path": "/srv/links/clients/oldco", "isdir": True, "mode": "0700"},
        {"path": "/srv/links/clients/oldco/index.html", "isdir": False, "mode": "0600", "checksum": "x"},
        {"path": "/srv/elsewhere/index.html", "isdir": False, "mode": "0600", "checksum": "x"},
        {"path": "/srv/links", "isdir": True, "mode": "0700"},
    ]
    result = switch_role_link_plan(found, "/srv/links", {"index.html": "x"})
    assert result == {
        "directories": [],
        "write": ["index.html"],
        "remove": ["/srv/links/clients/oldco/index.html", "/srv/links/clients/oldco"],
    }


def test_switch_role_link_plan_wants_an_absolute_directory():
    with pytest.raises(AnsibleFilterError, match="absolute path"):
        switch_role_link_plan([], "links", {})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: switch_role_link_files(CLIENTS, ENGINEERS, "12", "msp-main", "us-east-1"), "identity_account_id"),
        (
            lambda: switch_role_link_files([{**CLIENTS[0], "key": "a/b"}], [], IDENTITY, "msp-main", "us-east-1"),
            "clients\\[\\].key",
        ),
        (lambda: switch_role_links([{**CLIENTS[0], "account_id": "x"}]), "clients\\[acme\\].account_id"),
        (
            lambda: switch_role_link_files([{**CLIENTS[0], "name": "=1+1"}], [], IDENTITY, "msp-main", "us-east-1"),
            "clients\\[acme\\].name: '=1\\+1' starts with '='",
        ),
        (lambda: switch_role_link_plan([], "/srv/links", {}, "u=rw"), "switch_role_link_plan: file_mode: 'u=rw'"),
        (
            lambda: switch_role_link_plan([], "/srv/links", {}, "0600", "755\n"),
            "switch_role_link_plan: directory_mode",
        ),
    ],
    ids=["identity-account", "client-key", "links-account-id", "csv-formula", "symbolic-mode", "mode-newline"],
)
def test_bad_input_is_a_filter_error_naming_the_field(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()
