#!/bin/sh
# The demo's own virtualenv (default .venv-demo) with only demo/requirements.txt, in seconds:
# the venv gets no pip of its own (ensurepip alone takes 3-11 s); the system's pip puts uv in
# it, and uv installs the requirements (pip itself: ~50 s, most of it unpacking and compiling).
set -e
VENV="${1:-.venv-demo}"
python3 -m venv --without-pip "$VENV"
python3 -m pip --python "$VENV/bin/python" install --quiet --disable-pip-version-check uv
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -r "$(dirname "$0")/requirements.txt"
