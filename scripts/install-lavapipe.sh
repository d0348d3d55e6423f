#!/usr/bin/env bash
# Lavapipe, Mesa's software Vulkan driver, for the WebGPU specs on machines without a GPU
# (scripts/software-webgpu.ts). Debian 12's own (Mesa 22.3) lacks a feature Dawn requires
# ("shaderUniform*ArrayDynamicIndexing"); bookworm-backports' (Mesa 25) works, runs tfjs's WebGPU kernels
# about five times faster than Chromium's SwiftShader on the same CPU, and offers `shader-f16`, which
# SwiftShader does not, so float16 WGSL can be tested without a GPU.
#
# The package is unpacked, not installed: installing it would replace the machine's whole Mesa stack
# (EGL, GL, libdrm) with backports' versions, under the Chromium the browser tests drive. Only the driver's
# library is kept, in $LAVAPIPE_DIR with its manifest; it runs on bookworm's libraries (it draws nothing).
# Anything that fails here leaves the WebGPU specs on SwiftShader: a warning, not an error.
set -uo pipefail
LAVAPIPE_DIR=${LAVAPIPE_DIR:-/usr/local/lib/radfed-lavapipe}
driver="$LAVAPIPE_DIR/libvulkan_lvp.so"
manifest="$LAVAPIPE_DIR/lvp_icd.json"
if [ -e "$driver" ] && [ -e "$manifest" ]; then
  echo "Lavapipe (software Vulkan with shader-f16): present in $LAVAPIPE_DIR"
  exit 0
fi
. /etc/os-release 2>/dev/null
if [ "${VERSION_CODENAME:-}" != bookworm ] || [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
  echo "Lavapipe: not fetched (only for Debian 12 on amd64); the WebGPU specs run on Chromium's SwiftShader"
  exit 0
fi
warn() {
  echo "Warning: lavapipe could not be set up ($1); the WebGPU specs run on Chromium's SwiftShader instead" >&2
  exit 0
}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
sources=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -e "$sources" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d; then
  # Backports are pinned below the release (priority 100): nothing else is upgraded from them.
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
    "${sudo_cmd[@]}" tee "$sources" >/dev/null || warn "cannot add $sources"
fi
"${sudo_cmd[@]}" apt-get update -qq || warn "apt-get update failed"
work=$(mktemp -d) || warn "no temporary folder"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null 2>&1) ||
  warn "mesa-vulkan-drivers could not be downloaded from bookworm-backports"
dpkg -x "$work"/mesa-vulkan-drivers_*.deb "$work/root" || warn "the package could not be unpacked"
unpacked="$work/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
[ -e "$unpacked" ] || warn "the package holds no libvulkan_lvp.so"
missing=$(ldd "$unpacked" | grep "not found")
[ -z "$missing" ] || warn "it needs libraries this machine lacks: $(echo "$missing" | awk '{print $1}' | tr '\n' ' ')"
"${sudo_cmd[@]}" mkdir -p "$LAVAPIPE_DIR" || warn "cannot create $LAVAPIPE_DIR"
"${sudo_cmd[@]}" cp "$unpacked" "$driver" || warn "cannot write $driver"
printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$driver" |
  "${sudo_cmd[@]}" tee "$manifest" >/dev/null || warn "cannot write $manifest"
echo "Lavapipe (software Vulkan with shader-f16): set up in $LAVAPIPE_DIR"
