#!/usr/bin/env bash
# `grade validate` on a second stack, Colab's (benchmarks/colab-stack.txt: Python 3.13,
# TensorFlow 2.20, Keras 3.13, exact versions): the course must hold on the versions students
# get, not only on the one its recordings were made on. Builds the venv if it is missing or was
# built from another list (from PyPI; 2.2 GB installed), with tf-grader installed as a student installs it
# (no extras), then prints the wall time of the validation. Exit status: grade validate's.
#
#   benchmarks/other_stack.sh [grade validate arguments, e.g. chapter4 --jobs 1]
#   benchmarks/other_stack.sh --lock   # lock benchmarks/colab-stack.in again (needs uv), as .ci/lock
#
# OTHER_STACK_VENV (default .venv-colab), OTHER_STACK_PYTHON (default python3.13, or pyenv's), and
# OTHER_STACK_LIST (default benchmarks/colab-stack.txt) choose another stack.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIST=${OTHER_STACK_LIST:-benchmarks/colab-stack.txt}
VENV=${OTHER_STACK_VENV:-.venv-colab}
# python3.13 on the PATH, else pyenv's (whose shim may name it without running it)
PYTHON=${OTHER_STACK_PYTHON:-python3.13}
if [ -z "${OTHER_STACK_PYTHON:-}" ] && ! python3.13 -c '' 2>/dev/null; then
  PYTHON=$(ls -d "$(pyenv root 2>/dev/null || echo ~/.pyenv)"/versions/3.13*/bin/python 2>/dev/null | tail -1)
  PYTHON=${PYTHON:-python3.13}
fi

if [ "${1:-}" = --lock ]; then  # versions already locked stay (uv keeps an output's pins)
  exec "${UV:-uv}" pip compile pyproject.toml benchmarks/colab-stack.in --universal --generate-hashes \
    --python-version 3.13 --custom-compile-command "benchmarks/other_stack.sh --lock" -q -o benchmarks/colab-stack.txt
fi
[ -f "$LIST" ] || { echo "error: no pinned list $LIST" >&2; exit 2; }
wanted=$(sha256sum "$LIST" | cut -d' ' -f1)
if [ "$(cat "$VENV/.built-from" 2>/dev/null)" != "$wanted" ]; then
  "$PYTHON" -c '' 2>/dev/null || { echo "error: $PYTHON does not run (set OTHER_STACK_PYTHON)" >&2; exit 2; }
  echo "building $VENV from $LIST with $("$PYTHON" --version)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$LIST"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
  echo "$wanted" > "$VENV/.built-from"
fi

start=$(date +%s)
status=0
# PYTHONPATH: this checkout's engine, whichever checkout the venv was built in
PYTHONPATH=$ROOT "$VENV/bin/python" -m grader.cli validate --jobs 2 "$@" || status=$?
echo "grade validate on $LIST: $(( $(date +%s) - start )) s of wall time, exit $status" >&2
exit $status
