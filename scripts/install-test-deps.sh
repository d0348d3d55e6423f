#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real, when they are missing, then checks that every
# command and Python module the test helpers call is there (scripts/check-test-deps.sh), so a machine
# that lacks one stops here with the package's name instead of failing one spec later on.
#   chromium        browser tests (Playwright drives Debian's Chromium), and its Vulkan loader and SwiftShader:
#                   the software GPU the WebGPU specs run on where the machine has none (scripts/software-webgpu.ts),
#                   unless scripts/install-lavapipe.sh (run last) set up Mesa's faster lavapipe beside it
#   dcmtk           dcmdump, storescu, echoscu, dcmcjpeg/dcmcjpls/dcmcrle/dcmdjpeg…: an independent reader and DICOM peer
#   python3-pydicom an independent DICOM reader, and its test files (the odd real-world corpus)
#   python3-numpy   pydicom's pixel_array
#   python3-pil     pydicom's JPEG and JPEG 2000 decoders (decode-pixels.spec.ts)
#   orthanc         the anonymizer `radfed bench deid` compares with, and a PACS for the receiver's tests
#   dicom3tools     dciodvfy, the conformance validator de-identified outputs are checked with
#   tesseract-ocr   an independent second OCR reader of cleaned burned-in text (main/site/burned-in)
#   postgresql      a real PostgreSQL the hub's store tests start in a temporary folder (hub/testing/postgres-server.ts)
#   python3-torch   PyTorch, which runs the benchmarks' reference models (bench/resnet18_reference.py: its layout is checked against RadFed's)
#   haproxy         the load balancer in front of hub replicas in the replication tests (hub/testing/haproxy-server.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A probe=(
  [chromium]=/usr/bin/chromium
  [dcmtk]=/usr/bin/dcmdump
  [python3-pydicom]=/usr/lib/python3/dist-packages/pydicom/__init__.py
  [python3-numpy]=/usr/lib/python3/dist-packages/numpy/__init__.py
  [python3-pil]=/usr/lib/python3/dist-packages/PIL/__init__.py
  [python3-torch]=/usr/lib/python3/dist-packages/torch/__init__.py
  [orthanc]=/usr/sbin/Orthanc
  [dicom3tools]=/usr/bin/dciodvfy
  [tesseract-ocr]=/usr/bin/tesseract
  [strace]=/usr/bin/strace
  [haproxy]=/usr/sbin/haproxy
)
missing=()
for package in "${!probe[@]}"; do
  [ -e "${probe[$package]}" ] || missing+=("$package")
done
# PostgreSQL's server programs live under /usr/lib/postgresql/<major>/bin, and the major version is
# Debian's choice (15 in bookworm), so look for any version rather than name one.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian test packages: all present"
else
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/install-lavapipe.sh
bash scripts/check-test-deps.sh
