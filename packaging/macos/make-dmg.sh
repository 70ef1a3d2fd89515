#!/usr/bin/env bash
# macOS: builds "dist/LISA Desktop.app" (the spec's BUNDLE step) and dist/lisa-desktop-<version>-macos-<arch>.dmg
# (the app and a link to /Applications), then runs the app's self-test. Run on a Mac (Python 3.11 from
# python.org or Homebrew, Xcode command line tools for hdiutil/codesign), from anywhere:
#   bash packaging/macos/make-dmg.sh
# Not built on the Linux CI. The app is ad-hoc signed only: Gatekeeper asks on first open (right-click > Open) until
# it is signed with a Developer ID and notarized (packaging/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=${BUILD_VENV:-.venv-build}
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' lisa_desktop/__init__.py)
app="dist/LISA Desktop.app"
dmg="dist/lisa-desktop-$version-macos-$(uname -m).dmg"
mkdir -p build dist

[ -x "$venv/bin/python" ] || python3.11 -m venv "$venv"
"$venv/bin/python" - > build/requirements-build.txt <<'EOF'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["packaging"]))
EOF
"$venv/bin/python" -m pip install -q --disable-pip-version-check -c requirements/constraints.txt \
  -r build/requirements-build.txt
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/lisa-desktop.spec

codesign --force --deep --sign - "$app"  # ad hoc: Apple silicon refuses to run unsigned code

staging=build/dmg
rm -rf "$staging" "$dmg"
mkdir -p "$staging"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "LISA Desktop $version" -srcfolder "$staging" -ov -format UDZO "$dmg"
rm -rf "$staging"

"$app/Contents/MacOS/lisa-desktop" --version
"$app/Contents/MacOS/lisa-desktop" --self-test
echo "built $dmg"
