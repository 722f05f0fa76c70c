#!/usr/bin/env bash
# Print the path of the newest Python >= 3.12 on this machine (PATH first, then pyenv's versions),
# or nothing. ansible-core 2.20 and later need Python 3.12; the default python3 here is 3.11.
set -u
candidates=()
for version in 3.14 3.13 3.12; do
  candidates+=("python${version}")
  if command -v pyenv >/dev/null 2>&1; then
    for dir in "$(pyenv root)"/versions/"${version}"*; do
      [ -x "${dir}/bin/python${version}" ] && candidates+=("${dir}/bin/python${version}")
    done
  fi
done
for candidate in "${candidates[@]}"; do
  if "${candidate}" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    command -v "${candidate}"
    exit 0
  fi
done
exit 0
