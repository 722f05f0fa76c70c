# msp.aws_accounts: `make demo` shows it working, `make test` runs everything CI runs.
# Both set themselves up on a fresh machine (Debian, Python 3.11, no AWS credentials) and are idempotent.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
NEWEST_VENV ?= .venv-newest
NEWEST_PYTHON ?= $(shell tests/find_newest_python.sh)
# The real AWS CLI (v1) pins its own botocore, so it lives in a virtualenv of its own.
AWSCLI_VENV ?= .venv-awscli
BUILD ?= build
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/dist/msp-aws_accounts-$(VERSION).tar.gz
COLLECTION_SOURCES := galaxy.yml README.md $(shell git ls-files --cached --others --exclude-standard meta plugins roles playbooks changelogs 2>/dev/null)

# The demo's sandbox and the tests' sandbox use different ports and state, so tests never disturb a demo.
DEMO_PORT ?= 5055
TEST_PORT ?= 5056
# The molecule scenario's own sandbox (its shared config starts and stops it by pid).
MOLECULE_PORT ?= 5058
# Where `make demo` writes the switch-role links, CLI profiles and password-manager imports.
DEMO_LINKS ?= $(CURDIR)/$(BUILD)/links
DEMO_LINK_FILE ?= clients/acme/index.md
SANDBOX_STATE := $(CURDIR)/tests/output/sandbox
export MSP_SANDBOX_STATE_DIR ?= $(SANDBOX_STATE)

# Each step says when it started, so a CI log shows where its minutes go.
say = @printf '\n==> [%s] %s\n' "$$(date -u +%H:%M:%S)" "$(1)"

.PHONY: help demo test venv awscli install lint sanity units sandbox-tests integration molecule test-newest \
	newest-suite sandbox-start sandbox-stop clean bench bench-smoke

help:
	@echo "make demo           set up, start the local AWS sandbox and onboard the client acme into it"
	@echo "make test           everything CI runs: lint, sanity, unit, sandbox, integration and molecule tests"
	@echo "make molecule       the molecule scenarios: onboard all sandbox clients, hand acme over; each twice (idempotence), verify"
	@echo "make bench          the benchmark: N = 1, 10, 100 clients, ours against amazon.aws alone (long; build/bench)"
	@echo "make sandbox-stop   stop the demo's sandbox"
	@echo "make clean          remove the virtualenvs and build output"

# --- set-up -------------------------------------------------------------------------------------

$(VENV)/.installed: requirements.txt tests/requirements-dev.txt
	$(call say,Creating $(VENV) with $(PYTHON) and the pinned tools of tests/requirements-dev.txt)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r tests/requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

$(AWSCLI_VENV)/.installed: tests/requirements-awscli.txt
	$(call say,Creating $(AWSCLI_VENV) with the real AWS CLI v1 of tests/requirements-awscli.txt)
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --upgrade pip
	$(AWSCLI_VENV)/bin/pip install --quiet -r tests/requirements-awscli.txt
	touch $@

awscli: $(AWSCLI_VENV)/.installed

$(TARBALL): $(VENV)/.installed $(COLLECTION_SOURCES)
	$(call say,Building the collection tarball $(TARBALL))
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist .

$(BUILD)/installed/.installed: $(TARBALL)
	$(call say,Installing msp.aws_accounts $(VERSION) from its tarball into $(BUILD)/installed)
	$(VENV)/bin/ansible-galaxy collection install --offline --no-deps --force -p $(BUILD)/installed $(TARBALL)
	touch $@

install: $(BUILD)/installed/.installed

# --- the demo -----------------------------------------------------------------------------------

sandbox-start: venv
	$(call say,Starting the local AWS sandbox on port $(DEMO_PORT) (reused if already healthy))
	cd tests/sandbox && MSP_SANDBOX_PORT=$(DEMO_PORT) $(CURDIR)/$(VENV)/bin/python -m msp_sandbox start

sandbox-stop:
	@if [ -x $(VENV)/bin/python ]; then \
		cd tests/sandbox && MSP_SANDBOX_PORT=$(DEMO_PORT) $(CURDIR)/$(VENV)/bin/python -m msp_sandbox stop; \
	else echo "no virtualenv, so no sandbox to stop"; fi

# A second `make demo` finds acme onboarded and reports changed=0.
demo: install sandbox-start
	$(call say,Onboarding the client acme: ansible-playbook playbooks/onboard.yml -e client=acme (sandbox on port $(DEMO_PORT)))
	MSP_SANDBOX_ENDPOINT_URL=http://127.0.0.1:$(DEMO_PORT) MSP_LINKS_DIR=$(DEMO_LINKS) \
		ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/installed \
		$(VENV)/bin/ansible-playbook -i inventories/sandbox playbooks/onboard.yml -e client=acme
	$(call say,The switch-role links (pages; CLI profiles; extension and password-manager imports) are in $(DEMO_LINKS))
	@find $(DEMO_LINKS) -type f | sort | sed 's|^$(DEMO_LINKS)/|    |'
	@printf '\nOne of them, from %s:\n    %s\n' "$(DEMO_LINKS)/$(DEMO_LINK_FILE)" \
		"$$(grep -m 1 -o 'https://signin[^ "<>)]*' $(DEMO_LINKS)/$(DEMO_LINK_FILE))"
	@echo
	@echo "The sandbox keeps running on http://127.0.0.1:$(DEMO_PORT); stop it with: make sandbox-stop"

# --- the tests ------------------------------------------------------------------------------------

test: lint sanity units sandbox-tests integration bench-smoke molecule test-newest
	$(call say,make test passed)

lint: install
	$(call say,ruff: Python lint and format)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(call say,yamllint)
	$(VENV)/bin/yamllint --strict .
	$(call say,ansible-lint (production profile, offline))
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/ansible-lint --offline

sanity: venv
	$(call say,ansible-test sanity with an empty ignore file, offline (see tests/ansible_test_offline))
	tree=$$($(VENV)/bin/python tests/ansible_test_offline/prepare.py $(BUILD)/ansible-test); \
	cd "$$tree" && PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-test sanity --python 3.11 --color no

units: venv
	$(call say,Unit tests (Python 3.11, ansible-core 2.19))
	$(VENV)/bin/python -m pytest tests/unit -q

sandbox-tests: venv
	$(call say,The sandbox's own suite: every extension through boto3 against a real sandbox server)
	$(VENV)/bin/python -m pytest tests/sandbox/tests -q

# The sandbox tests run two test files at a time, each pytest worker with a sandbox of its own (a file's tests stay
# on one worker: they share its module fixtures). Most of their time is ansible-playbook and the sandbox on the CPU,
# so two workers keep both cores busy. PYTEST_PARALLEL= runs them one at a time.
PYTEST_PARALLEL ?= -n 2 --dist loadfile
# TARGETS="aws_member_account ..." runs only those integration targets (and no smoke play).
TARGETS ?=
integration: install awscli
	$(call say,Sandbox integration: the smoke play and tests/integration/targets on port $(TEST_PORT))
	tests/run_integration.sh $(VENV) $(BUILD)/installed $(TEST_PORT) $(TARGETS)
	$(call say,Module tests against the sandbox: faults, races, bad input, the real AWS CLI (tests/integration/pytest))
	MSP_AWSCLI=$(CURDIR)/$(AWSCLI_VENV)/bin/aws $(VENV)/bin/python -m pytest tests/integration/pytest -q $(PYTEST_PARALLEL)

# The benchmark (benchmarks/README.md): each N against a sandbox of its own on a free port. BENCH_ARGS adds the
# driver's options, e.g. BENCH_ARGS="--sizes 1,10 --org-accounts 0". Times are reported, never asserted.
BENCH_OUT ?= $(BUILD)/bench
BENCH_ARGS ?=
bench: venv
	$(call say,The benchmark: N = 1 10 100 clients; ours (planner on and off) against amazon.aws alone and org-formation and the boto3 floor; into $(BENCH_OUT))
	$(VENV)/bin/python benchmarks/run.py --out $(BENCH_OUT) $(BENCH_ARGS)

# In make test, so the benchmark cannot rot: the report from made-up runs, then the driver with one client.
bench-smoke: venv
	$(call say,Benchmark smoke: the driver with N = 1 against a sandbox of its own; its figures checked and not its times)
	$(VENV)/bin/python -m pytest tests/benchmarks -q

# The molecule scenarios under extensions/molecule with the collection installed from its tarball.
molecule: install
	$(call say,Molecule onboard: onboard every sandbox client, again with changed=0, verify (sandbox on port $(MOLECULE_PORT)))
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH MSP_MOLECULE_PORT=$(MOLECULE_PORT) \
		ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/installed $(VENV)/bin/molecule test -s onboard
	$(call say,Molecule handover: hand acme over in two runs (email code), again with changed=0, verify nothing of the MSP is left)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH MSP_MOLECULE_PORT=$(MOLECULE_PORT) \
		ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/installed $(VENV)/bin/molecule test -s handover

test-newest: install
	@if [ -z "$(NEWEST_PYTHON)" ]; then \
		printf '\n==> SKIPPED the newest end (ansible-core 2.21): no Python >= 3.12 on this machine;\n'; \
		printf '    only Python 3.11 with ansible-core 2.19 was tested.\n'; \
	else \
		$(MAKE) --no-print-directory PYTHON=$(NEWEST_PYTHON) VENV=$(NEWEST_VENV) newest-suite; \
	fi

# The newest end of the support range, in a virtualenv of its own: unit tests, the sandbox suite, the
# modules' integration targets and module tests, and the molecule scenario, which runs every role through
# playbooks/onboard.yml. The role targets and the playbook-level tests run once, on the pinned end, so CI
# stays well inside its 90 minutes.
NEWEST_TARGETS = $(notdir $(wildcard tests/integration/targets/aws_*))
PLAYBOOK_TESTS = test_onboard_input.py test_engineer_access.py test_engineer_cli.py test_audit_coverage.py \
	test_audit_drift.py test_root_hygiene.py test_handover.py test_handover_faults.py test_awx_job_templates.py \
	test_parallel_slices.py test_fault_suite.py test_planner.py
newest-suite:
	$(call say,Newest end: $(PYTHON) with tests/requirements-newest.txt)
	@if [ ! -f $(VENV)/.installed ] || [ tests/requirements-newest.txt -nt $(VENV)/.installed ]; then \
		$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet --upgrade pip && \
		$(VENV)/bin/pip install --quiet -r tests/requirements-newest.txt && touch $(VENV)/.installed; fi
	$(VENV)/bin/ansible --version | head -n 1
	$(VENV)/bin/ansible-galaxy collection install --offline --no-deps --force -p $(BUILD)/installed-newest $(TARBALL)
	$(VENV)/bin/python -m pytest tests/unit -q
	@# Not the sandbox's own suite again: the sandbox is the tests' stand-in for AWS, and the targets and tests
	@# below run against it on this Python; its suite, once, proves it (about 4.5 minutes of CI's 90 saved).
	tests/run_integration.sh $(VENV) $(BUILD)/installed-newest $$(( $(TEST_PORT) + 1 )) $(NEWEST_TARGETS)
	$(VENV)/bin/python -m pytest tests/integration/pytest -q $(PYTEST_PARALLEL) \
		$(addprefix --ignore=tests/integration/pytest/,$(PLAYBOOK_TESTS))
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH MSP_MOLECULE_PORT=$$(( $(MOLECULE_PORT) + 1 )) \
		ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/installed-newest $(VENV)/bin/molecule test -s onboard

clean: sandbox-stop
	rm -rf $(VENV) $(NEWEST_VENV) $(AWSCLI_VENV) $(BUILD) tests/output
