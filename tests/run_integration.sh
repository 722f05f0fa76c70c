#!/usr/bin/env bash
# Sandbox integration: start a sandbox of its own, run the smoke play and every integration target
# (tests/integration/targets/*, each from a freshly reset sandbox), then the module tests of
# tests/integration/pytest, and stop the sandbox.
# Usage: tests/run_integration.sh VENV COLLECTIONS_PATH PORT [TARGET...]
set -euo pipefail
venv=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
port=$3
shift 3
repo=$(cd "$(dirname "$0")/.." && pwd)
state="${repo}/tests/output/sandbox-integration-${port}"
export MSP_SANDBOX_PORT="${port}" MSP_SANDBOX_STATE_DIR="${state}"
export PYTHONPATH="${repo}/tests/sandbox${PYTHONPATH:+:${PYTHONPATH}}"
export MSP_SANDBOX_ENDPOINT_URL="http://127.0.0.1:${port}" ANSIBLE_COLLECTIONS_PATH="${collections}"

cd "${repo}"
"${venv}/bin/python" -m msp_sandbox start
trap '"${venv}/bin/python" -m msp_sandbox stop' EXIT

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  "${venv}/bin/python" -m msp_sandbox reset >/dev/null
  echo "==> $("${venv}/bin/ansible" --version | head -n 1): playbooks/sandbox_smoke.yml"
  "${venv}/bin/ansible-playbook" playbooks/sandbox_smoke.yml
  targets=()
  for dir in tests/integration/targets/*/; do
    [ -f "${dir}tasks/main.yml" ] && targets+=("$(basename "${dir}")")
  done
fi

for target in "${targets[@]}"; do
  "${venv}/bin/python" -m msp_sandbox reset >/dev/null
  echo "==> [$(date -u +%H:%M:%S)] integration target ${target}"
  "${venv}/bin/ansible-playbook" tests/integration/run_target.yml -e "target=${target}"
done
