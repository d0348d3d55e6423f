#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real, when they are missing:
# Chromium (browser tests), dcmtk (dcmdump, storescu), pydicom + numpy (an independent DICOM reader
# and its test files), Orthanc (the anonymizer `radfed bench deid` compares with).
set -euo pipefail
declare -A probe=(
  [chromium]=/usr/bin/chromium
  [dcmtk]=/usr/bin/dcmdump
  [python3-pydicom]=/usr/lib/python3/dist-packages/pydicom/__init__.py
  [python3-numpy]=/usr/lib/python3/dist-packages/numpy/__init__.py
  [orthanc]=/usr/sbin/Orthanc
)
missing=()
for package in "${!probe[@]}"; do
  [ -e "${probe[$package]}" ] || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian test packages: all present"
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
