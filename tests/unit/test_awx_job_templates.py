"""awx/job_templates.yml (what awx/configure.yml loads into AWX) cannot drift from the playbooks it runs.

The variables each playbook accepts, validates and requires are read from the playbooks and roles themselves - every
Jinja expression of the playbook, the playbooks it imports, the roles it runs and their task files, defaults and
argument specs - never from a list kept here:
- accepted: the playbook reads the variable somewhere;
- validated: an ansible.builtin.assert of the playbook depends on it (its ``that`` or its own vars, through every
  variable defined from it: play vars, task vars, role inputs, set_fact);
- required: read without a default, defined nowhere in the playbook (vars, role defaults and argument specs,
  set_fact, register, loop variables), and not one of Ansible's own: it must come from the survey or the inventory;
- secret: it feeds a role option marked no_log in the role's argument spec: the survey asks it as a password.

The variables a playbook refuses to start without although it reads them with a default (-e client, -e
new_root_email: a default keeps the message theirs) are proven by running the playbook's validation without them.
"""

import ast
import re
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

import jinja2
import pytest
import yaml
from jinja2 import meta, nodes

REPO = Path(__file__).resolve().parents[2]
# The playbooks' regular expressions ('\\s' in YAML) make Jinja's lexer warn, as it does when Ansible runs them.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
AWX_MODULES = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections" / "awx" / "awx" / "plugins" / "modules"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
JOB_TEMPLATES = yaml.safe_load((REPO / "awx" / "job_templates.yml").read_text())
TEMPLATES = JOB_TEMPLATES["awx_job_templates"]
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# What Ansible itself provides to every play, and Jinja's and Ansible's globals.
MAGIC = {
    "hostvars", "groups", "group_names", "inventory_hostname", "inventory_hostname_short", "inventory_dir",
    "playbook_dir", "role_path", "role_name", "omit", "item", "play_hosts", "ansible_play_hosts",
    "ansible_play_batch", "environment", "vars", "lookup", "query", "q", "now", "undef", "namespace", "range",
    "dict", "lipsum", "cycler", "joiner", "true", "false", "none", "True", "False", "None",
}  # fmt: skip
BARE_KEYWORDS = ("when", "failed_when", "changed_when", "until")
TASK_KEYWORDS = {
    "name", "vars", "when", "failed_when", "changed_when", "until", "register", "loop", "loop_control", "tags",
    "block", "rescue", "always", "no_log", "run_once", "check_mode", "diff", "delegate_to", "retries", "delay",
    "ignore_errors", "module_defaults", "become", "any_errors_fatal", "environment", "notify", "args",
}  # fmt: skip


class AnyName(dict):
    """Every filter or test name exists: the analysis reads names, it never runs the collection's plugins."""

    def __contains__(self, name) -> bool:
        return True

    def get(self, name, default=None):
        return super().get(name) or (lambda *args, **kwargs: None)


JINJA = jinja2.Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
JINJA.filters = AnyName(JINJA.filters)
JINJA.tests = AnyName(JINJA.tests)


def expression_names(text: str, bare: bool = False) -> dict[str, bool]:
    """The variables a template (or, ``bare``, a conditional) reads: ``{name: read without a guard}``, where a guard
    is ``| default(...)`` or ``is defined`` around it."""
    source = text if not bare or "{{" in text or "{%" in text else "{{ (" + text + ") }}"
    if "{{" not in source and "{%" not in source:
        return {}
    tree = JINJA.parse(source)
    # Names the template sets itself ({% set %}, {% for %}), even in one branch only, are its own.
    local = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
    free = meta.find_undeclared_variables(tree) - local
    # `x if x is defined else y`: a name tested for definition anywhere in the expression is guarded throughout it.
    tested = {
        test.node.name
        for test in tree.find_all(nodes.Test)
        if test.name in ("defined", "undefined") and isinstance(test.node, nodes.Name)
    }
    found: dict[str, bool] = {}

    def walk(node: nodes.Node, guarded: bool) -> None:
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in free:
            found[node.name] = found.get(node.name, False) or not (guarded or node.name in tested)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None:
            walk(node.node, True)
            for child in [*node.args, *node.kwargs]:
                walk(child, guarded)
            return
        if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
            walk(node.node, True)
            return
        for child in node.iter_child_nodes():
            walk(child, guarded)

    walk(tree, False)
    return found


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


class Playbook:
    """What one playbook (with its imports and roles) reads, defines and asserts."""

    def __init__(self, path: Path) -> None:
        self.reads: dict[str, bool] = {}  # name -> read somewhere without a guard
        self.definitions: dict[str, set[str]] = {}  # name -> the names its definitions read
        self.asserted: set[str] = set()  # the names the asserts read directly
        self.secret_inputs: set[str] = set()  # names feeding a no_log role option
        self.seen: set[Path] = set()
        self.load_playbook(path, {})

    # --- what is read and defined --------------------------------------------------------------------------------
    def read(self, value, bare: bool = False) -> set[str]:
        names: set[str] = set()
        for text in strings(value):
            for name, unguarded in expression_names(text, bare).items():
                self.reads[name] = self.reads.get(name, False) or unguarded
                names.add(name)
        return names

    def define(self, variables: dict | None) -> None:
        for name, value in (variables or {}).items():
            self.definitions.setdefault(name, set()).update(self.read(value))

    # --- playbooks, plays, tasks, roles --------------------------------------------------------------------------
    def load_playbook(self, path: Path, import_vars: dict) -> None:
        self.define(import_vars)
        for entry in yaml.safe_load(path.read_text()):
            imported = entry.get("ansible.builtin.import_playbook") or entry.get("import_playbook")
            if imported:
                self.read(entry.get("when"), bare=True)
                self.load_playbook((path.parent / imported).resolve(), entry.get("vars") or {})
                continue
            self.define(entry.get("vars"))
            self.read(entry.get("hosts"))
            self.read(entry.get("module_defaults"))
            for role in entry.get("roles") or []:
                self.load_role(role if isinstance(role, str) else role["role"], {})
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                self.load_tasks(entry.get(section) or [], path.parent)

    def load_tasks(self, tasks: list, directory: Path) -> None:
        for task in tasks:
            self.define(task.get("vars"))
            for keyword in BARE_KEYWORDS:
                self.read(task.get(keyword), bare=True)
            self.read(task.get("loop"))
            if task.get("register"):
                self.definitions.setdefault(task["register"], set())
            loop_var = (task.get("loop_control") or {}).get("loop_var")
            if loop_var:
                self.definitions.setdefault(loop_var, set()).update(self.read(task.get("loop")))
            for section in ("block", "rescue", "always"):
                self.load_tasks(task.get(section) or [], directory)
            for action, args in task.items():
                if action in TASK_KEYWORDS:
                    continue
                short = action.rsplit(".", 1)[-1]
                if short in ("include_role", "import_role"):
                    self.load_role(args["name"], task.get("vars") or {})
                elif short in ("include_tasks", "import_tasks"):
                    self.load_task_file(directory / (args if isinstance(args, str) else args["file"]))
                elif short == "set_fact":
                    self.define(args)
                elif short == "assert":
                    self.asserted |= self.read(args.get("that"), bare=True)
                    for value in (task.get("vars") or {}).values():
                        self.asserted |= self.read(value)
                self.read(args)

    def load_task_file(self, path: Path) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        self.load_tasks(yaml.safe_load(path.read_text()) or [], path.parent)

    def load_role(self, name: str, inputs: dict) -> None:
        role = REPO / "roles" / name.removeprefix("msp.aws_accounts.")
        options = (yaml.safe_load((role / "meta" / "argument_specs.yml").read_text()) or {})["argument_specs"]
        options = options["main"].get("options") or {}
        for option, spec in options.items():
            if "default" in spec:
                self.definitions.setdefault(option, set())
            if spec.get("no_log") and option in inputs:
                self.secret_inputs |= self.read(inputs[option])
        if role in self.seen:
            return
        self.seen.add(role)
        for folder in ("defaults", "vars"):
            if (role / folder / "main.yml").is_file():
                self.define(yaml.safe_load((role / folder / "main.yml").read_text()))
        for template in (role / "templates").glob("*") if (role / "templates").is_dir() else []:
            self.read(template.read_text())
        self.load_task_file(role / "tasks" / "main.yml")

    # --- what the tests ask ----------------------------------------------------------------------------------------
    def validated(self) -> set[str]:
        """Every name an assert depends on, through the definitions."""
        closure, todo = set(), list(self.asserted)
        while todo:
            name = todo.pop()
            if name not in closure:
                closure.add(name)
                todo.extend(self.definitions.get(name, ()))
        return closure

    def required(self) -> set[str]:
        """Read without a guard, defined nowhere in the playbook, and not Ansible's own."""
        return {
            name
            for name, unguarded in self.reads.items()
            if unguarded and name not in self.definitions and name not in MAGIC and not name.startswith("ansible_")
        }


@cache
def playbook(path: str) -> Playbook:
    return Playbook(REPO / path)


def inventory_variables(inventory: Path) -> set[str]:
    """Every variable the inventory's group_vars and host_vars give (YAML files, as AWX's inventory import reads)."""
    files = [*inventory.glob("group_vars/**/*.yml"), *inventory.glob("host_vars/**/*.yml")]
    return {name for path in files for name in yaml.safe_load(path.read_text()) or {}}


def template_ids(templates):
    return [template["name"] for template in templates]


def survey_variables(template: dict) -> set[str]:
    return {question["variable"] for question in template["survey"]}


# --- the data is what AWX expects ----------------------------------------------------------------------------------
def test_the_four_job_templates_of_the_issue_are_declared():
    names = [template["name"] for template in TEMPLATES]
    assert names == ["Onboard client", "Audit clients", "Hand over client", "Publish switch-role links"]
    assert [question["variable"] for question in TEMPLATES[0]["survey"]] == ["client"]
    assert [question["variable"] for question in TEMPLATES[2]["survey"]] == [
        "client", "new_root_email", "handover_confirm", "root_email_otp",
    ]  # fmt: skip
    assert re.search(r"RRULE:FREQ=DAILY\b", TEMPLATES[1]["schedule"]["rrule"])


@pytest.mark.parametrize("template", TEMPLATES, ids=template_ids(TEMPLATES))
def test_every_survey_question_is_one_awx_accepts(template):
    for question in template["survey"]:
        assert {"question_name", "variable", "type", "required"} <= set(question), question
        assert question["type"] in SURVEY_TYPES, question
        if question["type"] in ("multiplechoice", "multiselect"):
            assert question["choices"] and all(isinstance(choice, str) for choice in question["choices"]), question
            assert "default" not in question or question["default"] in question["choices"], question
    variables = [question["variable"] for question in template["survey"]]
    assert len(variables) == len(set(variables)), f"{template['name']}: a variable asked twice"


def module_options(module: str) -> dict:
    """The options the installed awx.awx module documents (its DOCUMENTATION, read without importing it)."""
    tree = ast.parse((AWX_MODULES / f"{module}.py").read_text())
    [documentation] = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["DOCUMENTATION"]
    ]
    return yaml.safe_load(documentation)["options"]


@pytest.mark.skipif(not AWX_MODULES.is_dir(), reason="this ansible release ships no awx.awx")
def test_configure_uses_only_modules_and_options_the_installed_awx_awx_has():
    tasks = yaml.safe_load((REPO / "awx" / "configure.yml").read_text())[0]["tasks"]
    used = 0
    for task in tasks:
        for action, args in task.items():
            if not action.startswith("awx.awx."):
                continue
            used += 1
            options = module_options(action.removeprefix("awx.awx."))
            assert set(args) <= set(options), f"{task['name']}: {set(args) - set(options)} not options of {action}"
            for option, value in args.items():
                if options[option].get("choices") and isinstance(value, str) and "{{" not in value:
                    assert value in options[option]["choices"], f"{task['name']}: {option}={value}"
    assert used >= 8


# --- the job templates against their playbooks ---------------------------------------------------------------------
@pytest.mark.parametrize("template", TEMPLATES, ids=template_ids(TEMPLATES))
def test_every_job_template_names_a_playbook_that_exists(template):
    assert (REPO / template["playbook"]).is_file(), template["playbook"]
    assert yaml.safe_load((REPO / template["playbook"]).read_text()), template["playbook"]


@pytest.mark.parametrize("template", TEMPLATES, ids=template_ids(TEMPLATES))
def test_every_survey_variable_is_one_the_playbook_reads_and_validates(template):
    book = playbook(template["playbook"])
    for variable in survey_variables(template):
        assert variable in book.reads, f"{template['playbook']} never reads the survey's {variable}"
        assert variable in book.validated(), f"{template['playbook']} reads {variable} but no assert checks it"


@pytest.mark.parametrize("template", TEMPLATES, ids=template_ids(TEMPLATES))
@pytest.mark.parametrize("inventory", ["example", "sandbox"])
def test_every_variable_the_playbook_requires_is_in_its_survey_or_the_inventory(template, inventory):
    book = playbook(template["playbook"])
    given = survey_variables(template) | inventory_variables(REPO / "inventories" / inventory)
    assert book.required() - given == set(), (
        f"{template['playbook']} reads these without a default, and neither the survey nor inventories/{inventory} "
        "gives them"
    )


@pytest.mark.parametrize("template", TEMPLATES, ids=template_ids(TEMPLATES))
def test_secrets_are_asked_as_password_fields(template):
    """A survey variable that reaches a role option marked no_log is a password field (AWX never shows it back)."""
    secrets = playbook(template["playbook"]).secret_inputs
    for question in template["survey"]:
        if question["variable"] in secrets:
            assert question["type"] == "password", question
    if template["name"] == "Hand over client":
        assert "root_email_otp" in secrets


def test_the_analysis_sees_what_it_must():
    """The playbooks' own checks, as the analysis reads them: a guard against an analysis that sees nothing."""
    onboard = playbook("playbooks/onboard.yml")
    assert {"client", "msp_region", "msp_management_account_id"} <= onboard.validated()
    assert {"msp_region", "msp_name"} <= onboard.required()
    handover = playbook("playbooks/handover.yml")
    assert {"new_root_email", "handover_confirm", "root_email_otp", "client"} <= handover.validated()
    assert "handover_alternate_contacts" in handover.reads and "handover_alternate_contacts" not in handover.required()
    # The links play alone still validates the clients before it reads their accounts.
    assert "client" in playbook("playbooks/publish_links.yml").validated()


# --- what a playbook refuses to start without, run (no AWS: the example inventory, the validation only) ------------
REQUIRED_ANSWERS = {"client": "northwind", "new_root_email": "it@northwind.example"}


def required_questions():
    for template in TEMPLATES:
        for question in template["survey"]:
            if question["required"] and "default" not in question:
                yield pytest.param(template, question["variable"], id=f"{template['name']}-{question['variable']}")


@pytest.mark.parametrize(("template", "variable"), list(required_questions()))
def test_a_required_survey_answer_is_one_the_playbook_refuses_to_start_without(template, variable, tmp_path):
    """Left out, the playbook stops in its validation, naming it, before any AWS call: AWS is unreachable here
    (no credentials, endpoint port 9), so reaching AWS would fail otherwise."""
    answers = {name: REQUIRED_ANSWERS[name] for name in survey_variables(template) & set(REQUIRED_ANSWERS)}
    answers.pop(variable)
    args = [arg for name, value in answers.items() for arg in ("-e", f"{name}={value}")]
    args += ["-e", "msp_aws_endpoint_url=http://127.0.0.1:9"]
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(REPO / "inventories" / "example"), str(REPO / template["playbook"]), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={
            "PATH": str(ANSIBLE_PLAYBOOK.parent),
            "HOME": str(tmp_path),
            "ANSIBLE_COLLECTIONS_PATH": f"{REPO / 'build' / 'dev'}:{sysconfig.get_paths()['purelib']}",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "MSP_HANDOVER_DIR": str(tmp_path / "handover"),
        },
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    before, fatal, after = output.partition("fatal:")
    assert fatal, output[-3000:]
    failed_task = before[before.rfind("TASK [") :].split("]")[0]
    assert failed_task.split(" : ")[-1].startswith("TASK [Check") or " : Check" in failed_task, output[-3000:]
    assert re.search(rf"\b{variable}\b", after), output[-3000:]
