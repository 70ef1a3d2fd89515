#!/usr/bin/env bash
# Installs LISA Desktop into .venv on a Debian machine with Python 3.11 and opens the console window.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt's libraries for a desktop session (X11 or Wayland), and venv support for a bare python3.
packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3
          fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libx11-xcb1)
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
# is the fallback.
if ! { .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/constraints.txt uv &&
  .venv/bin/uv pip install -q --python .venv/bin/python -c requirements/constraints.txt .; }; then
  echo "scripts/run.sh: uv could not install LISA Desktop; installing with pip" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/constraints.txt .
fi
exec .venv/bin/lisa-desktop "$@"
