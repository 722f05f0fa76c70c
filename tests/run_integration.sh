#!/usr/bin/env bash
# Sandbox integration: start a sandbox of its own, run the playbooks against it, stop it.
# Usage: tests/run_integration.sh VENV COLLECTIONS_PATH PORT
set -euo pipefail
venv=$(cd "$1" && pwd)
collections=$(cd "$2" && pwd)
port=$3
repo=$(cd "$(dirname "$0")/.." && pwd)
state="${repo}/tests/output/sandbox-integration-${port}"
export MSP_SANDBOX_PORT="${port}" MSP_SANDBOX_STATE_DIR="${state}"
export PYTHONPATH="${repo}/tests/sandbox${PYTHONPATH:+:${PYTHONPATH}}"

cd "${repo}"
"${venv}/bin/python" -m msp_sandbox start
trap '"${venv}/bin/python" -m msp_sandbox stop' EXIT
"${venv}/bin/python" -m msp_sandbox reset

echo "==> $("${venv}/bin/ansible" --version | head -n 1): playbooks/sandbox_smoke.yml"
MSP_SANDBOX_ENDPOINT_URL="http://127.0.0.1:${port}" ANSIBLE_COLLECTIONS_PATH="${collections}" \
  "${venv}/bin/ansible-playbook" playbooks/sandbox_smoke.yml
