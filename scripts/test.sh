#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine with Python 3.11, then runs every check:
# ruff, mypy (strict on engine/), the import-linter room boundaries and pytest (offscreen Qt, moto for AWS);
# mypy and the contracts run beside pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian libraries Qt needs to render offscreen, and venv support for a bare python3.
packages=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 fonts-dejavu-core)
python3 -c "import ensurepip" 2>/dev/null || packages+=(python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# uv (pinned in the constraints) installs the pinned packages in parallel: seconds where pip takes half a minute. pip
# is the fallback. Neither byte-compiles every installed module (moto's hundred services, the type stubs): the
# tests compile only what they import, once, below.
if ! { .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/constraints.txt uv &&
  .venv/bin/uv pip install -q --python .venv/bin/python -c requirements/constraints.txt -e '.[test]'; }; then
  echo "scripts/test.sh: uv could not install the test environment; installing with pip" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-compile -c requirements/constraints.txt -e '.[test]'
fi

export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# mypy and the import contracts run beside the tests (their output is printed once both are done).
checks_log=$(mktemp)
(.venv/bin/mypy && .venv/bin/lint-imports) >"$checks_log" 2>&1 &
checks_pid=$!
# Bytecode for the project once, before the tests start hundreds of `python -m lisa_desktop` processes: with
# PYTHONDONTWRITEBYTECODE set (as on some CI images) each of them would otherwise compile it again.
.venv/bin/python -m compileall -q -j 0 engine ui lisa_desktop resources tests >/dev/null
# pytest keeps its assertion-rewritten test modules as bytecode: collected once here, beside mypy, so that the four
# workers load them instead of each rewriting every module (PYTHONDONTWRITEBYTECODE would forbid that cache). A
# collection error is reported by the run below.
export PYTHONDONTWRITEBYTECODE=
.venv/bin/python -m pytest --collect-only -q -p no:xdist >/dev/null 2>&1 || true
# Four workers on CI's two cores: many tests wait on processes they started, on sandboxes' rollouts and on the
# event loop, so two workers left a third of the CPU idle. A test module stays on one worker, so its shared
# sandbox starts once.
tests_status=0
.venv/bin/python -m pytest -n "${LISA_TEST_WORKERS:-4}" --dist loadfile "$@" || tests_status=$?
checks_status=0
wait "$checks_pid" || checks_status=$?
cat "$checks_log"
rm -f "$checks_log"
if ((checks_status)); then
  echo "mypy or the import contracts failed (above)" >&2
  exit "$checks_status"
fi
exit "$tests_status"
