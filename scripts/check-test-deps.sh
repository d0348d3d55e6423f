#!/usr/bin/env bash
# Checks that every command and Python module the tests call is on this machine, and names the Debian
# package to install for each one that is not. Run by scripts/install-test-deps.sh after it installs, and
# by the first unit test (scripts/test-deps.spec.ts), so a missing package is one plain sentence rather
# than a spec that fails (or skips) for a reason it cannot name.
# Keep this list in step with the test helpers: see docs/development.md, "Test dependencies".
set -uo pipefail
declare -A command_package=(
  [/usr/bin/chromium]=chromium
  [/usr/bin/dcmdump]=dcmtk [/usr/bin/storescu]=dcmtk [/usr/bin/echoscu]=dcmtk
  [/usr/bin/dcmcjpeg]=dcmtk [/usr/bin/dcmdjpeg]=dcmtk [/usr/bin/dcmcjpls]=dcmtk
  [/usr/bin/dcmdjpls]=dcmtk [/usr/bin/dcmcrle]=dcmtk
  [/usr/sbin/Orthanc]=orthanc
  [/usr/bin/dciodvfy]=dicom3tools
  [/usr/bin/tesseract]=tesseract-ocr
  [/usr/bin/strace]=strace
  [/usr/sbin/haproxy]=haproxy
  [/usr/bin/python3]=python3
  [/usr/bin/tar]=tar [/usr/bin/mkfifo]=coreutils [/usr/bin/find]=findutils
)
# Python module → Debian package; each is imported by Debian's python3, as the test helpers run it.
declare -A module_package=(
  [pydicom]=python3-pydicom
  [numpy]=python3-numpy
  [PIL]=python3-pil
  [PIL.Jpeg2KImagePlugin]=python3-pil
  [torch]=python3-torch
)
problems=()
for command in "${!command_package[@]}"; do
  [ -x "$command" ] || problems+=("$command is missing: install the Debian package ${command_package[$command]}")
done
if [ -x /usr/bin/python3 ]; then
  for module in "${!module_package[@]}"; do
    /usr/bin/python3 -c "import $module" 2>/dev/null ||
      problems+=("Python module $module is missing: install the Debian package ${module_package[$module]}")
  done
fi
# PostgreSQL's server programs, under its major version's folder (hub/testing/postgres-server.ts finds
# the newest); the tests start their own cluster with initdb and pg_ctl.
pg_bin_found=no
for pg_bin in /usr/lib/postgresql/*/bin; do
  [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ] && [ -x "$pg_bin/postgres" ] && pg_bin_found=yes
done
[ "$pg_bin_found" = yes ] ||
  problems+=("PostgreSQL's initdb and pg_ctl are missing (/usr/lib/postgresql/<version>/bin): install the Debian package postgresql")
# pydicom decodes JPEG 2000 through Pillow only where Pillow was built with OpenJPEG.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c "from PIL import features; assert features.check_codec('jpg_2000')" 2>/dev/null; then
  problems+=("Pillow cannot decode JPEG 2000: install Debian's python3-pil (built with libopenjp2)")
fi
if [ -d /usr/lib/python3/dist-packages/pydicom ] && [ ! -e /usr/lib/python3/dist-packages/pydicom/data/test_files/JPEG2000.dcm ]; then
  problems+=("pydicom's test files are missing: reinstall the Debian package python3-pydicom")
fi
# The WebGPU specs run on SwiftShader, the software Vulkan driver inside Debian's Chromium package, or on lavapipe
# where scripts/install-lavapipe.sh set it up (scripts/software-webgpu.ts), unless the machine has a Vulkan loader
# (a GPU) of its own. SwiftShader is required; lavapipe is optional (faster, and has shader-f16).
if [ ! -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] && [ ! -e /usr/lib/aarch64-linux-gnu/libvulkan.so.1 ] &&
  { [ ! -e /usr/lib/chromium/libvk_swiftshader.so ] || [ ! -e /usr/lib/chromium/libvulkan.so.1 ]; }; then
  problems+=("Chromium's SwiftShader (/usr/lib/chromium/libvk_swiftshader.so), the software GPU the WebGPU specs run on, is missing: install the Debian package chromium")
fi
if [ ${#problems[@]} -ne 0 ]; then
  printf 'The tests cannot run on this machine yet:\n' >&2
  printf '  - %s\n' "${problems[@]}" | sort -u >&2
  printf 'Run: bash scripts/install-test-deps.sh (needs root or sudo)\n' >&2
  exit 1
fi
echo "Test dependencies: every command and Python module the tests call is present"
