# Copyright: Contributors to the msp.aws_accounts project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Publishing the switch-role links: pages, CLI profiles, extension settings and password-manager imports.

The blog the collection grew from says "save the link" and "share them in a password manager". These pure
functions turn the onboarded clients (the ``client_accounts`` filter's list) into the contents of every
file the ``switch_role_links`` role writes, as ``{relative path: text}``. The output is deterministic (sorted,
no timestamps), so writing it again changes nothing.

The formats, as their owners document them:

- aws-extend-switch-roles (the browser extension that lists more than the console's last five roles):
  https://github.com/tilfinltd/aws-extend-switch-roles#configuration, "Complex Configuration". A base
  account (a profile with only ``aws_account_id``) and target roles that name it in ``source_profile``
  (``role_arn``, optional ``color``); the targets are listed only while signed in to the base account. Its
  parser (https://github.com/tilfinltd/aesr-config, src/ini-parser.ts) cuts everything after ``;`` or ``#``
  and reads a line with JavaScript's ``split("=", 2)``, which drops whatever follows a second ``=``: names
  written here never contain ``;`` or ``#``, and a role whose path or name has an ``=`` (IAM allows it) is left
  out of the file, with a comment saying so.
- Bitwarden, individual vault: https://bitwarden.com/help/condition-bitwarden-import/ - the header
  ``folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp``;
  custom ``fields`` are ``name: value`` lines.
- 1Password, the current product (accounts on 1Password.com, which the 1Password 8 apps use):
  https://support.1password.com/import-1password-com/ ("Move your data into your account on 1Password.com"):
  one login per line, each with a username, a password and a website field, in the same order on every line,
  the same number of fields on every line "even if they're left empty", values with a comma or a line break
  quoted - and its example has no header row. So the file has no header row, and its columns are the order of
  the Login items of https://support.1password.com/cs/import-mac/ (1Password 7 for Mac, which also reads a file
  without a header row): ``title,website,username,password,notes``. 1Password imports one CSV into one vault,
  so each client gets a CSV of its own.

A switch-role entry has no password: the engineer signs in to the main account as their own IAM user (with
MFA) and then follows the link. The password field is there and left empty (the note says why); the entries'
username is the client's account id, which is what the console's Switch Role form asks for first.

These CSV files are for a password manager to import, not for a spreadsheet to open: a name that a spreadsheet
would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is refused.
"""

import csv
import hashlib
import html
import io
import posixpath
import re
from collections import Counter

from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import InvalidInput
from ansible_collections.msp.aws_accounts.plugins.module_utils.engineer_access import serves
from ansible_collections.msp.aws_accounts.plugins.module_utils.sts import partition_for_region, role_arn
from ansible_collections.msp.aws_accounts.plugins.module_utils.switch_role import (
    COLOR,
    cli_profile,
    default_display_name,
    link_role_name,
    link_role_name_problem,
    switch_role_url,
)
from ansible_collections.msp.aws_accounts.plugins.module_utils.validation import account_id_problem, role_name_problem

EXTENSION_URL = "https://github.com/tilfinltd/aws-extend-switch-roles#configuration"
BITWARDEN_URL = "https://bitwarden.com/help/condition-bitwarden-import/"
ONEPASSWORD_URLS = (
    "https://support.1password.com/import-1password-com/",
    "https://support.1password.com/cs/import-mac/",
)
BITWARDEN_COLUMNS = (
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
)
# The order of the fields; the file has no header row (see above).
ONEPASSWORD_COLUMNS = ("title", "website", "username", "password", "notes")

HTML_PAGE = "index.html"
MARKDOWN_PAGE = "index.md"
AWS_CONFIG = "aws-config"
EXTENSION_CONFIG = "aws-extend-switch-roles.ini"
BITWARDEN_CSV = "bitwarden.csv"
ONEPASSWORD_CSV = "1password.csv"
CLIENTS_DIR = "clients"
ENGINEERS_DIR = "engineers"
# The names the role writes in each place: the only files it may remove when they are no longer wanted.
TOP_FILES = (HTML_PAGE, MARKDOWN_PAGE, AWS_CONFIG, EXTENSION_CONFIG, BITWARDEN_CSV)
CLIENT_FILES = (HTML_PAGE, MARKDOWN_PAGE, AWS_CONFIG, EXTENSION_CONFIG, BITWARDEN_CSV, ONEPASSWORD_CSV)
ENGINEER_FILES = (AWS_CONFIG, EXTENSION_CONFIG)
FOLDER_FILES = {CLIENTS_DIR: CLIENT_FILES, ENGINEERS_DIR: ENGINEER_FILES}
# A client's or an engineer's folder (clients/<key>, engineers/<name>).
OWN_DIR = re.compile(rf"(?:{CLIENTS_DIR}|{ENGINEERS_DIR})/[^/]+")
# The modes the role compares with what find reports: octal digits (a symbolic mode would always differ).
OCTAL_MODE = re.compile(r"[0-7]{3,4}")

# The CLI's default session is an hour; a profile asks for more only when the role allows more.
DEFAULT_SESSION_SECONDS = 3600
# In the files shared by several engineers, the one thing each must fill in.
MFA_DEVICE_PLACEHOLDER = "<your-mfa-device>"
# Client and role keys become profile and folder names; CLI profile names stay shell- and INI-safe.
# (Patterns here are used with fullmatch: '$' would also match before a final newline.)
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# aws-extend-switch-roles reads a ';' or '#' as the start of a comment.
EXTENSION_UNSAFE = re.compile(r"[;#\r\n]+")
# The extension's parser drops what follows a second '=' on a line: such a role_arn would be cut short.
EXTENSION_ARN_UNSAFE = "="
# What a spreadsheet reads as the start of a formula, at the start of a CSV cell (OWASP's "CSV injection").
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Markdown characters that would start markup inside a table cell or a link text.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&~])")

PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.35em .7em;text-align:left}"
    ".swatch{display:inline-block;width:1.1em;height:1.1em;border:1px solid #666;vertical-align:middle}"
    ".note{color:#555}"
)


def _one_line(text):
    """Text for a comment line or a CSV cell of one line: runs of white space (newlines too) become a space."""
    return " ".join(str(text).split())


def profile_name(client_key, role_key):
    """The ``~/.aws/config`` profile of a client's role: ``acme-admin``."""
    return f"{client_key}-{role_key}"


def mfa_serial(partition, identity_account_id, device):
    """An engineer's virtual MFA device in the main account."""
    return f"arn:{partition}:iam::{identity_account_id}:mfa/{device}"


def _require_key(value, option):
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        raise InvalidInput(
            option, f"{value!r} must be letters, digits, '_', '.' and '-', starting with a letter or digit"
        )
    return value


def link_entries(clients, partition="aws"):
    """One entry per role of every client, sorted by client key and role key.

    ``url`` is the console's switch-role link, or None with ``no_link_reason`` when the console cannot have
    one (path and name over 64 characters, or a partition without a console sign-in page). Every entry has
    a CLI profile: the CLI assumes a role by its ARN, without the console's limit.
    """
    entries = []
    profiles = {}
    keys = set()
    for client in sorted(clients or [], key=lambda c: str(c.get("key"))):
        key = _require_key(client.get("key"), "clients[].key")
        where = f"clients[{key}]"
        if key in keys:
            raise InvalidInput(f"{where}.key", "is the key of two clients: their folders and profiles would be one")
        keys.add(key)
        account_id = str(client.get("account_id") or "")
        problem = account_id_problem(account_id)
        if problem:
            raise InvalidInput(f"{where}.account_id", problem)
        name = client.get("name") or key
        role_keys = set()
        for spec in sorted(client.get("roles") or [], key=lambda r: str(r.get("key"))):
            role_key = _require_key(spec.get("key"), f"{where}.roles[].key")
            if role_key in role_keys:
                raise InvalidInput(
                    f"{where}.roles[{role_key}].key",
                    f"is the key of two of the client's roles: both would be the profile {profile_name(key, role_key)}",
                )
            role_keys.add(role_key)
            entry = _entry(client, key, name, account_id, spec, role_key, partition)
            other = profiles.setdefault(entry["profile"], (key, role_key))
            if other != (key, role_key):
                raise InvalidInput(
                    f"{where}.roles[{role_key}].key",
                    f"its profile name {entry['profile']} is also the profile of client {other[0]}'s role {other[1]}",
                )
            entries.append(entry)
    return entries


def _entry(client, key, name, account_id, spec, role_key, partition):
    path = spec.get("path") or "/"
    role_name = spec.get("role_name")
    if role_name_problem(role_name):
        raise InvalidInput(f"clients[{key}].roles[{role_key}].role_name", f"{role_name!r} is not an IAM role name")
    display_name = spec.get("display_name") or default_display_name(role_name, account_id)
    color = spec.get("color") or None
    if color is not None and not COLOR.fullmatch(str(color)):
        raise InvalidInput(f"clients[{key}].roles[{role_key}].color", f"{color!r} must be six hex digits without '#'")
    reason = link_role_name_problem(path, role_name)
    url = None if reason else switch_role_url(partition, account_id, path, role_name, display_name, color)
    if url is None and reason is None:
        reason = f"the {partition} partition has no console sign-in page to switch roles in"
    return {
        "client_key": key,
        "client_host": client.get("host") or key,
        "client_name": name,
        "account_id": account_id,
        "role_key": role_key,
        "role_name": role_name,
        "path": path,
        "link_role_name": link_role_name(path, role_name),
        "role_arn": role_arn(partition, account_id, role_name, path),
        "display_name": display_name,
        "description": spec.get("description") or "",
        "color": color,
        "require_mfa": bool(spec.get("require_mfa", True)),
        "max_session_duration": int(spec.get("max_session_duration") or DEFAULT_SESSION_SECONDS),
        "engineer_groups": sorted(spec.get("engineer_groups") or []),
        "profile": profile_name(key, role_key),
        "url": url,
        "no_link_reason": reason,
    }


def engineer_entries(entries, engineer, engineer_groups=None):
    """The entries an engineer's groups may assume: a group named by the role, serving the role's client.

    ``engineer_groups`` are the groups' definitions (``name``, ``clients``: inventory names, None for every
    client), read by the engineer_access role's own rule (``engineer_access.serves``); a group not defined there
    serves every client.
    """
    definitions = {g["name"]: g for g in engineer_groups or []}
    groups = set(engineer.get("groups") or [])
    return [
        e
        for e in entries
        if any(serves(definitions.get(g), e["client_host"]) for g in groups.intersection(e["engineer_groups"]))
    ]


# --- ~/.aws/config ------------------------------------------------------------------------------


def aws_config_profile(entry, source_profile, region, serial):
    """The profile's keys, in the order they are written: the collection's cli_profile, filled in."""
    profile = cli_profile(entry["role_arn"], entry["require_mfa"], color=entry["color"])
    profile["source_profile"] = source_profile
    if "mfa_serial" in profile:
        profile["mfa_serial"] = serial
    ordered = {k: profile[k] for k in ("role_arn", "source_profile", "mfa_serial") if k in profile}
    ordered["region"] = region
    if entry["max_session_duration"] > DEFAULT_SESSION_SECONDS:
        ordered["duration_seconds"] = str(entry["max_session_duration"])
    if "color" in profile:
        ordered["color"] = profile["color"]
    return ordered


def aws_config(entries, header, source_profile, region, serial):
    lines = [f"# {_one_line(line)}" if line else "#" for line in header]
    for entry in entries:
        lines += ["", f"# {_one_line(entry['client_name'])}: {_one_line(entry['display_name'])}"]
        lines.append(f"[profile {entry['profile']}]")
        lines += [f"{k} = {v}" for k, v in aws_config_profile(entry, source_profile, region, serial).items()]
    return "\n".join(lines) + "\n"


def _aws_config_header(title, ctx, serial_note):
    return [
        title,
        f"Generated by the msp.aws_accounts switch_role_links role for {ctx['msp_name'] or 'the MSP'}; "
        "a new run replaces this file.",
        "Paste the profiles into ~/.aws/config, then: aws sts get-caller-identity --profile <profile>",
        f"source_profile {ctx['source_profile']}: your own profile with your access keys in the main account "
        f"{ctx['identity_account_id']} (aws configure --profile {ctx['source_profile']}).",
        serial_note,
        f"duration_seconds: the role's longest session, where it allows more than {DEFAULT_SESSION_SECONDS} seconds.",
        "color: ignored by the CLI; the aws-extend-switch-roles browser extension reads it.",
    ]


# --- aws-extend-switch-roles --------------------------------------------------------------------


def extension_names(entries, base_profile):
    """Each entry's name in the extension (shown in its list): the display name, made unique and safe."""
    names = {}
    counts = {}
    for e in entries:
        counts[_extension_label(e)] = counts.get(_extension_label(e), 0) + 1
    for e in entries:
        label = _extension_label(e)
        if counts[label] > 1 or label == base_profile:
            label = f"{label} ({e['profile']})"
        names[e["profile"]] = label
    return names


def _extension_label(entry):
    return _one_line(EXTENSION_UNSAFE.sub(" ", entry["display_name"])) or entry["profile"]


def extension_problem(entry):
    """Why a role is left out of the extension's configuration, or None."""
    if entry["url"] is None:
        return f"no console link ({entry['no_link_reason']})"
    if EXTENSION_ARN_UNSAFE in entry["role_arn"]:
        return "its path or name has an '=', and the extension's parser drops what follows a second '=' on a line"
    return None


def extension_config(entries, ctx, title):
    base = ctx["source_profile"]
    linked = [e for e in entries if extension_problem(e) is None]
    names = extension_names(linked, base)
    lines = [
        f"; {_one_line(title)}",
        f"; The configuration of aws-extend-switch-roles ({EXTENSION_URL}):",
        "; paste it into the extension's configuration. Its roles are listed while you are signed in to the main",
        f"; account {ctx['identity_account_id']} (the base account {base}). If that account has an alias, the",
        "; console shows the alias: put it in aws_account_alias (or in place of the account id).",
    ]
    lines += [
        f"; Left out: {_one_line(e['display_name'])} (profile {e['profile']}): {_one_line(extension_problem(e))}."
        for e in entries
        if extension_problem(e) is not None
    ]
    if not linked:
        # A base account without targets would be read as a role without role_name, which the extension refuses.
        return "\n".join([*lines, "; There is no role to switch to yet."]) + "\n"
    lines += ["", f"[{base}]", f"aws_account_id = {ctx['identity_account_id']}"]
    for e in linked:
        lines += ["", f"[profile {names[e['profile']]}]", f"role_arn = {e['role_arn']}", f"source_profile = {base}"]
        if e["color"]:
            lines.append(f"color = {e['color']}")
    return "\n".join(lines) + "\n"


# --- password managers --------------------------------------------------------------------------


def _csv(columns, rows, header=True):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def csv_cell_problem(text):
    """Why ``text`` must not start a CSV cell (a spreadsheet would run it as a formula), or None."""
    for value in (str(text), _one_line(text)):
        if value.startswith(CSV_FORMULA_STARTS):
            return (
                f"{text!r} starts with {value[0]!r}, which a spreadsheet reads as the start of a formula; it goes "
                "at the start of a cell of the password-manager CSV files: begin it with a letter or digit"
            )
    return None


def _entry_note(entry, ctx):
    note = (
        f"{entry['client_name']}: switch to the role {entry['link_role_name']} in account {entry['account_id']}. "
        f"Sign in to the main account {ctx['identity_account_id']} as your own IAM user, with MFA, then open the "
        f"link. CLI profile: {entry['profile']}. The password is left empty: it is your own, for the main account, "
        "and is not stored here."
    )
    if entry["description"]:
        note += f" {entry['description']}"
    return _one_line(note)


def bitwarden_folder(client_name):
    """A client's folder; Bitwarden nests folders at '/', so a client name's slashes become '-'."""
    return _one_line(client_name.replace("/", "-").replace("\\", "-"))


def bitwarden_folders(entries):
    """Each client's folder (by client key): its name, with the key added when two clients' names make one."""
    folders = {e["client_key"]: bitwarden_folder(e["client_name"]) for e in entries}
    counts = Counter(folders.values())
    return {key: f"{folder} ({key})" if counts[folder] > 1 else folder for key, folder in folders.items()}


def bitwarden_csv(entries, ctx):
    folders = ctx.get("bitwarden_folders") or bitwarden_folders(entries)
    rows = [
        [
            folders[e["client_key"]],
            "0",
            "login",
            e["display_name"],
            _entry_note(e, ctx),
            f"Account: {e['account_id']}\nRole: {e['link_role_name']}\nCLI profile: {e['profile']}",
            "0",
            e["url"],
            e["account_id"],
            "",
            "",
        ]
        for e in entries
        if e["url"] is not None
    ]
    return _csv(BITWARDEN_COLUMNS, rows)


def onepassword_csv(entries, ctx):
    rows = [
        [e["display_name"], e["url"], e["account_id"], "", _entry_note(e, ctx)] for e in entries if e["url"] is not None
    ]
    return _csv(ONEPASSWORD_COLUMNS, rows, header=False)


# --- the pages ----------------------------------------------------------------------------------


def _by_client(entries):
    groups = []
    for e in entries:
        if not groups or groups[-1][0]["client_key"] != e["client_key"]:
            groups.append((e, []))
        groups[-1][1].append(e)
    return groups


def _e(text):
    return html.escape(str(text), quote=True)


def _swatch_html(color):
    if not color:
        return "none"
    return f'<span class="swatch" style="background-color:#{_e(color)}"></span> {_e(color)}'


def html_page(title, intro, clients, client_page_prefix=None):
    """``clients``: ``[(first entry, [entries])]``, one section each; with ``client_page_prefix`` each section
    links to the client's own page (``clients/<key>/index.html``)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{PAGE_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
    ]
    out += [f"<p>{paragraph}</p>" for paragraph in intro]
    if not clients:
        out.append('<p class="note">No client account is a member of the organization yet.</p>')
    for first, entries in clients:
        heading = _e(first["client_name"])
        if client_page_prefix is not None:
            page = posixpath.join(client_page_prefix, first["client_key"], HTML_PAGE)
            heading = f'<a href="{_e(page)}">{heading}</a>'
        out += [
            f'<section id="client-{_e(first["client_key"])}">',
            f"<h2>{heading} <small>account {_e(first['account_id'])}</small></h2>",
        ]
        linked = [e for e in entries if e["url"] is not None]
        if linked:
            out += [
                "<table>",
                "<thead><tr><th>Switch role</th><th>Colour</th><th>Account</th><th>Role</th>"
                "<th>CLI profile</th><th>Engineers' groups</th></tr></thead>",
                "<tbody>",
            ]
            out += [
                f'<tr><td><a class="switch-role" href="{_e(e["url"])}">{_e(e["display_name"])}</a></td>'
                f"<td>{_swatch_html(e['color'])}</td><td>{_e(e['account_id'])}</td>"
                f"<td>{_e(e['link_role_name'])}</td><td><code>{_e(e['profile'])}</code></td>"
                f"<td>{_e(', '.join(e['engineer_groups']) or '-')}</td></tr>"
                for e in linked
            ]
            out += ["</tbody>", "</table>"]
        for e in entries:
            if e["url"] is None:
                out.append(
                    f'<p class="note">No console link for {_e(e["display_name"])} ({_e(e["link_role_name"])}): '
                    f"{_e(e['no_link_reason'])}. Its CLI profile <code>{_e(e['profile'])}</code> works.</p>"
                )
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _md(text):
    return MARKDOWN_SPECIAL.sub(r"\\\1", _one_line(text))


def markdown_page(title, intro, clients, client_page_prefix=None):
    out = [f"# {_md(title)}", ""]
    for paragraph in intro:
        out += [paragraph, ""]
    if not clients:
        out += ["No client account is a member of the organization yet.", ""]
    for first, entries in clients:
        heading = _md(first["client_name"])
        if client_page_prefix is not None:
            heading = f"[{heading}]({posixpath.join(client_page_prefix, first['client_key'], MARKDOWN_PAGE)})"
        out += [f"## {heading} (account {first['account_id']})", ""]
        linked = [e for e in entries if e["url"] is not None]
        if linked:
            out += [
                "| Switch role | Colour | Account | Role | CLI profile | Engineers' groups |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            out += [
                f"| [{_md(e['display_name'])}]({e['url']}) | {'`#' + e['color'] + '`' if e['color'] else 'none'} "
                f"| {e['account_id']} | {_md(e['link_role_name'])} | `{e['profile']}` "
                f"| {_md(', '.join(e['engineer_groups']) or '-')} |"
                for e in linked
            ]
            out.append("")
        for e in entries:
            if e["url"] is None:
                out += [
                    f"No console link for {_md(e['display_name'])} ({_md(e['link_role_name'])}): "
                    f"{_md(e['no_link_reason'])}. Its CLI profile `{e['profile']}` works.",
                    "",
                ]
    return "\n".join(out).rstrip("\n") + "\n"


def _intro(ctx, files, markdown):
    """The pages' opening paragraphs; ``files`` are the files next to the page (name, what it is)."""
    code = (lambda s: f"`{s}`") if markdown else (lambda s: f"<code>{_e(s)}</code>")
    listed = "; ".join(f"{code(name)} ({what})" for name, what in files)
    return [
        f"Sign in to the main account {ctx['identity_account_id']} as your own IAM user, with MFA, then follow a "
        "link: the console switches into the client's account under that role. The console's menu keeps only "
        "the last five roles you used; the aws-extend-switch-roles browser extension lists them all.",
        f"Next to this page: {listed}.",
    ]


# --- all files ----------------------------------------------------------------------------------


def link_files(clients, engineers, identity_account_id, source_profile, region, msp_name="", engineer_groups=None):
    """Every file to publish, ``{relative path: content}``: for all clients, each client and each engineer."""
    problem = account_id_problem(str(identity_account_id or ""))
    if problem:
        raise InvalidInput("identity_account_id", problem)
    _require_key(source_profile, "source_profile")
    partition = partition_for_region(region)
    ctx = {
        "msp_name": _one_line(msp_name or ""),
        "identity_account_id": str(identity_account_id),
        "source_profile": source_profile,
        "partition": partition,
    }
    entries = link_entries(clients, partition)
    for e in entries:
        where = f"clients[{e['client_key']}]"
        for option, value in (
            (f"{where}.name", e["client_name"]),
            (f"{where}.roles[{e['role_key']}].display_name", e["display_name"]),
        ):
            problem = csv_cell_problem(value)
            if problem:
                raise InvalidInput(option, problem)
    ctx["bitwarden_folders"] = bitwarden_folders(entries)
    by_client = _by_client(entries)
    placeholder = mfa_serial(partition, identity_account_id, MFA_DEVICE_PLACEHOLDER)
    shared_serial_note = (
        f"mfa_serial: replace {MFA_DEVICE_PLACEHOLDER} with the name of your MFA device (usually your user name), "
        "or take engineers/<you>/aws-config, which has it filled in."
    )
    prefix = f"{ctx['msp_name']}: " if ctx["msp_name"] else ""
    files = {}

    all_title = f"{prefix}switch-role links"
    all_files = [
        (AWS_CONFIG, "CLI profiles"),
        (EXTENSION_CONFIG, "aws-extend-switch-roles"),
        (BITWARDEN_CSV, "Bitwarden import, a folder per client"),
        (f"{CLIENTS_DIR}/<client>/{ONEPASSWORD_CSV}", "1Password import, a vault per client"),
        (f"{ENGINEERS_DIR}/<engineer>/", "each engineer's own CLI profiles and extension configuration"),
    ]
    files[HTML_PAGE] = html_page(all_title, _intro(ctx, all_files, False), by_client, CLIENTS_DIR)
    files[MARKDOWN_PAGE] = markdown_page(all_title, _intro(ctx, all_files, True), by_client, CLIENTS_DIR)
    files[AWS_CONFIG] = aws_config(
        entries,
        _aws_config_header(f"{all_title}: the profiles of every client role.", ctx, shared_serial_note),
        source_profile,
        region,
        placeholder,
    )
    files[EXTENSION_CONFIG] = extension_config(entries, ctx, all_title)
    files[BITWARDEN_CSV] = bitwarden_csv(entries, ctx)

    client_files = [
        (AWS_CONFIG, "CLI profiles"),
        (EXTENSION_CONFIG, "aws-extend-switch-roles"),
        (BITWARDEN_CSV, "Bitwarden import"),
        (ONEPASSWORD_CSV, "1Password import, into one vault"),
    ]
    for first, client_entries in by_client:
        folder = f"{CLIENTS_DIR}/{first['client_key']}"
        title = f"{_one_line(first['client_name'])}: switch-role links" + (
            f" ({ctx['msp_name']})" if ctx["msp_name"] else ""
        )
        group = [(first, client_entries)]
        files[f"{folder}/{HTML_PAGE}"] = html_page(title, _intro(ctx, client_files, False), group)
        files[f"{folder}/{MARKDOWN_PAGE}"] = markdown_page(title, _intro(ctx, client_files, True), group)
        files[f"{folder}/{AWS_CONFIG}"] = aws_config(
            client_entries,
            _aws_config_header(f"{title}: the profiles of the client's roles.", ctx, shared_serial_note),
            source_profile,
            region,
            placeholder,
        )
        files[f"{folder}/{EXTENSION_CONFIG}"] = extension_config(client_entries, ctx, title)
        files[f"{folder}/{BITWARDEN_CSV}"] = bitwarden_csv(client_entries, ctx)
        files[f"{folder}/{ONEPASSWORD_CSV}"] = onepassword_csv(client_entries, ctx)

    seen = set()
    for engineer in sorted(engineers or [], key=lambda e: str(e.get("name"))):
        name = engineer.get("name")
        if not isinstance(name, str) or validate_iam_identifiers("user", name=name) or name in (".", ".."):
            raise InvalidInput("engineers[].name", f"{name!r} is not an IAM user name")
        if name in seen:
            raise InvalidInput(f"engineers[{name}]", "is listed twice")
        seen.add(name)
        device = engineer.get("mfa_device")
        if device is not None:
            device = str(device)
            problem = validate_iam_identifiers("mfa device", name=device)
            if problem:
                raise InvalidInput(f"engineers[{name}].mfa_device", f"{device!r}: {problem}")
        mine = engineer_entries(entries, engineer, engineer_groups)
        serial = mfa_serial(partition, identity_account_id, device or name)
        groups = ", ".join(sorted(engineer.get("groups") or [])) or "none"
        title = f"{prefix}switch-role links of {name}"
        summary = (
            f"{title}: the client roles of the groups {groups}."
            if mine
            else f"{title}: the groups {groups} may assume no client role."
        )
        folder = f"{ENGINEERS_DIR}/{name}"
        files[f"{folder}/{AWS_CONFIG}"] = aws_config(
            mine,
            _aws_config_header(summary, ctx, f"mfa_serial: {serial}; the CLI asks for its code."),
            source_profile,
            region,
            serial,
        )
        files[f"{folder}/{EXTENSION_CONFIG}"] = extension_config(mine, ctx, title)
    return dict(sorted(files.items()))


def links(clients, region):
    """The links alone, for a summary: ``[{client, display_name, url, account_id, role, profile}]``."""
    return [
        {
            "client": e["client_key"],
            "display_name": e["display_name"],
            "url": e["url"],
            "account_id": e["account_id"],
            "role": e["link_role_name"],
            "profile": e["profile"],
        }
        for e in link_entries(clients, partition_for_region(region))
    ]


def _sha1(text):
    """The checksum ``ansible.builtin.find`` (get_checksum) reports for a file holding ``text``."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _octal(mode):
    try:
        return int(str(mode), 8)
    except ValueError:
        return None


def mode_problem(mode):
    """Why ``mode`` cannot be the files' or folders' mode, or None: it must be octal, like ``0600``.

    A symbolic mode (``u=rw``) never equals the octal mode find reports, so every run would write every file.
    """
    if not isinstance(mode, str) or not OCTAL_MODE.fullmatch(mode):
        return f"{mode!r} must be an octal mode of 3 or 4 digits 0-7, quoted, like '0600' (not a symbolic mode)"
    return None


def own_file(path):
    """Whether ``path`` (relative to the output directory) is a name the role writes there."""
    folder, name = posixpath.split(path)
    if not folder:
        return name in TOP_FILES
    return bool(OWN_DIR.fullmatch(folder)) and name in FOLDER_FILES[posixpath.dirname(folder)]


def plan(existing, files, file_mode, directory_mode):
    """What a run must do in the output directory, from what is there (``existing``) and what is wanted.

    ``existing``: ``[{"path": relative path, "isdir": bool, "checksum": sha1 or None, "mode": "0600"}]`` (a
    ``find`` of the directory, with checksums); ``files``: ``{relative path: content}``. Returns

    - ``directories``: the folders to create (or to give their mode), parents first;
    - ``write``: the files whose content or mode differ, or that are missing;
    - ``remove``: the role's own files that are no longer wanted, then the folders of clients and engineers no
      longer listed that hold nothing else. Files the role never writes, and folders holding them, stay.

    Files already right are left out, so a run that changes nothing calls no module for them.
    """
    for option, mode in (("file_mode", file_mode), ("directory_mode", directory_mode)):
        problem = mode_problem(mode)
        if problem:
            raise InvalidInput(option, problem)
    by_path = {e["path"]: e for e in existing}
    want_file, want_dir = _octal(file_mode), _octal(directory_mode)

    def differs(path, isdir, mode, checksum=None):
        found = by_path.get(path)
        if found is None or bool(found.get("isdir")) != isdir or found.get("islnk"):
            return True
        if checksum is not None and found.get("checksum") != checksum:
            return True
        return _octal(found.get("mode")) != mode

    folders = set()
    for path in files:
        folder = posixpath.dirname(path)
        while folder:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    folders = sorted(folders)
    write = [p for p, text in sorted(files.items()) if differs(p, False, want_file, _sha1(text))]
    stale_files = sorted(
        e["path"] for e in existing if not e.get("isdir") and own_file(e["path"]) and e["path"] not in files
    )
    stale_dirs = []
    for entry in existing:
        folder = entry["path"]
        if not entry.get("isdir") or not OWN_DIR.fullmatch(folder) or folder in folders:
            continue
        inside = [e["path"] for e in existing if e["path"].startswith(folder + "/")]
        if all(p in stale_files for p in inside):
            stale_dirs.append(folder)
    return {
        "directories": [d for d in folders if differs(d, True, want_dir)],
        "write": write,
        "remove": stale_files + sorted(stale_dirs),
    }
