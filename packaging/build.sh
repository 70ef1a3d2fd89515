#!/usr/bin/env bash
# Builds LISA Desktop for Linux: the PyInstaller one-folder bundle (dist/lisa-desktop/), then
#   dist/lisa-desktop-<version>-linux-x86_64.tar.gz   the bundle in a folder lisa-desktop-<version>/
#   dist/lisa-desktop_<version>_amd64.deb             /opt/lisa-desktop, /usr/bin/lisa-desktop, menu entry, icons
# and writes dist/build-info.json (seconds per step, sizes). Usage, from anywhere:
#   bash packaging/build.sh                 # builds with .venv-build (created on first use: runtime deps + PyInstaller)
#   BUILD_VENV=.venv bash packaging/build.sh   # builds with another venv (PyInstaller is added to it)
# Needs python3 (3.11) with venv, tar, gzip and dpkg-deb (Debian's dpkg). See packaging/README.md.
set -euo pipefail
trap 'echo "packaging/build.sh: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
repo=$(pwd)

venv=${BUILD_VENV:-.venv-build}
name=lisa-desktop
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' lisa_desktop/__init__.py)
machine=$(uname -m)
case "$machine" in
  x86_64) deb_arch=amd64 ;;
  aarch64) deb_arch=arm64 ;;
  *) deb_arch=$machine ;;
esac
tarball=dist/$name-$version-linux-$machine.tar.gz
deb=dist/${name}_${version}_${deb_arch}.deb
mkdir -p dist build
now() { date +%s.%N; }
took() { python3 -c "print(round($(now) - $1, 1))"; }

# 1. The build environment: the runtime dependencies and PyInstaller, pinned; not the project itself (the spec
#    takes lisa_desktop, engine, ui and resources from this checkout) and nothing for tests.
started=$(now)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" - > build/requirements-build.txt <<'EOF'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["packaging"]))
EOF
# uv when the environment has it (the test environment does: scripts/test.sh), pip otherwise.
if [ -x "$venv/bin/uv" ]; then
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" -c requirements/constraints.txt -r build/requirements-build.txt
else
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile \
    -c requirements/constraints.txt -r build/requirements-build.txt 2> >(grep -v "^WARNING: Location" >&2)
fi
venv_s=$(took "$started")

# 2. The bundle. PyInstaller's own cache (build/pyinstaller) makes a rebuild with nothing changed take seconds.
started=$(now)
if ! "$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/lisa-desktop.spec > build/pyinstaller.log 2>&1; then
  tail -40 build/pyinstaller.log >&2
  echo "packaging/build.sh: PyInstaller failed (whole log: build/pyinstaller.log)" >&2
  exit 1
fi
bundle_s=$(took "$started")
bundle=dist/$name

# 3. The .deb: the bundle under /opt/lisa-desktop, the command on PATH, the menu entry and the icons.
#    Depends: what Qt needs on any display (offscreen included); Recommends: X11 (xcb) and Wayland, which apt
#    installs by default. dpkg's triggers refresh the menu and icon caches. zstd needs dpkg >= 1.21.18 (Debian 12,
#    Ubuntu 21.10 and later: the bundle's glibc 2.36 needs those anyway); it takes 3 s where xz takes minutes.
started=$(now)
root=build/deb/root
rm -rf build/deb
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
  "$root/usr/share/icons/hicolor/scalable/apps" "$root/usr/share/icons/hicolor/256x256/apps" \
  "$root/usr/share/doc/$name"
cp -al "$bundle" "$root/opt/$name" 2> /dev/null || cp -a "$bundle" "$root/opt/$name"
ln -s "/opt/$name/$name" "$root/usr/bin/$name"
install -m 644 resources/lisa-desktop.desktop "$root/usr/share/applications/$name.desktop"
install -m 644 resources/icons/lisa-desktop.svg "$root/usr/share/icons/hicolor/scalable/apps/$name.svg"
install -m 644 resources/icons/lisa-desktop.png "$root/usr/share/icons/hicolor/256x256/apps/$name.png"
cat > "$root/usr/share/doc/$name/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: LISA Desktop
License: Apache-2.0
Comment: /opt/$name/_internal holds Python $(python3 -c 'import sys; print(sys.version.split()[0])') and the
 dependencies listed in requirements/constraints.txt of the source, each under its own licence
 (Qt for Python: LGPL-3.0).
EOF
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)

# 4. The tar.gz (the bundle in lisa-desktop-<version>/), compressed in the background while dpkg-deb compresses
#    (after the hard links above: tar refuses files whose link count changes while it reads them).
rm -f "$tarball" "$tarball.part"
(tar -C dist --transform "s,^$name,$name-$version," --owner=0 --group=0 -cf - "$name" | gzip -6 > "$tarball.part" \
  && mv "$tarball.part" "$tarball") &
tar_pid=$!

cat > "$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $deb_arch
Maintainer: LISA Desktop maintainers <lisa-desktop@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.36), libegl1, libgl1, libx11-6, libxkbcommon0, libfontconfig1, libfreetype6, libglib2.0-0,
 libdbus-1-3, libzstd1, fonts-dejavu-core | fonts-liberation2 | fonts-freefont-ttf
Recommends: libxkbcommon-x11-0, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1,
 libxcb-image0, libxcb-render-util0, libxcb-randr0, libxcb-shape0, libxcb-xfixes0, libxcb-xkb1, libxcb-glx0,
 libxcb-shm0, libxcb-sync1, libxcb-render0, libxcb-util1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Section: admin
Priority: optional
Homepage: https://github.com/awslabs/LISA
Description: desktop console for the LLM models of a LISA deployment on AWS
 LISA Desktop lists, creates, updates, starts, stops and deletes the models of a
 LISA deployment, with a background engine that validates each change, carries
 it out, watches it and rolls it back on failure. With no deployment configured
 it opens a built-in sandbox. Check an installation with: lisa-desktop --self-test
EOF
dpkg-deb --root-owner-group -Zzstd --build "$root" "$deb" > /dev/null
deb_s=$(took "$started")
wait "$tar_pid"
packages_s=$(took "$started")
rm -rf build/deb

bundle_kb=$(du -sk "$bundle" | cut -f1)
python3 - "$repo" <<EOF
import json, os, sys
info = {
    "version": "$version",
    "bundle": "$bundle", "tarball": "$tarball", "deb": "$deb", "venv": "$venv",
    "seconds": {"venv": $venv_s, "pyinstaller": $bundle_s, "deb": $deb_s, "tarball_and_deb": $packages_s},
    "bundle_mb": round($bundle_kb / 1024, 1),
    "tarball_mb": round(os.path.getsize("$tarball") / 2**20, 1),
    "deb_mb": round(os.path.getsize("$deb") / 2**20, 1),
}
open("dist/build-info.json", "w").write(json.dumps(info, indent=2) + "\n")
s = info["seconds"]
print(f"built {info['bundle']} ({info['bundle_mb']} MB unpacked) in {s['pyinstaller']} s "
      f"(build venv {s['venv']} s); {info['tarball']} ({info['tarball_mb']} MB) and {info['deb']} "
      f"({info['deb_mb']} MB) in {s['tarball_and_deb']} s")
EOF
