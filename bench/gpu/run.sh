#!/usr/bin/env bash
# WebGPU checks and benchmark on a GPU machine that has no package registry (issue 4).
#
#   bench/gpu/run.sh prepare   here, on a machine with the repository and its node_modules:
#                              bundles the benchmark with esbuild, packs the node binary (xz), the
#                              Dawn binary of the `webgpu` package and the Vulkan loader (.deb from
#                              Debian) into .tmp/gpu-bench/ (ignored by git, about 40 MB).
#   bench/gpu/run.sh device    on the GPU machine, in a copy of the repository that carries
#                              .tmp/gpu-bench: installs the Vulkan loader, runs the WebGPU kernel
#                              checks and the reference-CNN benchmark (stock, matmul and split-K filter
#                              gradients) and ResNet-18 / DenseNet-121 at 224 px, the step with the
#                              optimiser's update fused and with tfjs's ops (gpu-check.json's
#                              fusedOptimizer: reference CNN and ResNet-18, b32), ResNet-18's step
#                              with batch normalisation in WGSL and with tfjs's ops (fusedBatchNorm:
#                              224 px, b32, bench/gpu/batch-norm-ab.ts), then PyTorch CUDA on
#                              the same models; writes $OUT (or .tmp/gpu-bench/out) gpu-check.json,
#                              torch-cuda.json, torch-cuda-resnet18.json, torch-cuda-densenet121.json
#                              and a log.
#
# With the device tool: run `bench/gpu/run.sh prepare` here, then
#   run(command="bench/gpu/run.sh device", carry=[".tmp/gpu-bench"], timeout_s=420)
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=.tmp/gpu-bench
SIZE="${RADFED_GPU_SIZE:-128}"

prepare() {
  rm -rf "$PACK" && mkdir -p "$PACK/node_modules/webgpu" "$PACK/gl"
  npx esbuild bench/gpu/gpu-entry.ts --bundle --platform=node --target=node20 --format=esm \
    --outfile="$PACK/bench.mjs" --external:webgpu --external:@tensorflow/tfjs-node \
    --external:@tensorflow/tfjs-node-gpu --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
  # The Dawn binding: only its Linux x64 build travels.
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$PACK/node_modules/webgpu/"
  mkdir -p "$PACK/node_modules/webgpu/dist" && cp -r node_modules/webgpu/dist/linux-x64 "$PACK/node_modules/webgpu/dist/"
  for dep in debug ms; do [ -d "node_modules/$dep" ] && cp -r "node_modules/$dep" "$PACK/node_modules/"; done
  xz -T0 -6 -c "$(command -v node)" >"$PACK/node.xz"
  # The Vulkan loader and GL libraries for amd64, as the device tool's README describes.
  local apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  mkdir -p /tmp/amd64/partial
  apt-get "${apt[@]}" update >/dev/null
  (cd "$PACK/gl" && apt-get "${apt[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  cp ../shared/bench/torch_reference.py "$PACK/" 2>/dev/null || echo "note: ../shared/bench/torch_reference.py not found; PyTorch CUDA will be skipped"
  cp bench/reference_training.py bench/resnet18_reference.py bench/densenet121_reference.py "$PACK/"
  du -sh "$PACK"
}

device() {
  local out="${OUT:-$PACK/out}"
  mkdir -p "$out"
  for f in "$PACK"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  if [ ! -e /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  xz -dc "$PACK/node.xz" >/tmp/radfed-node && chmod +x /tmp/radfed-node
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/gpu.txt" 2>&1 || true
  (cd "$PACK" && RADFED_GPU_SIZE="$SIZE" /tmp/radfed-node bench.mjs) >"$out/gpu-check.json" 2>"$out/gpu-check.log" ||
    echo "gpu-check failed: see gpu-check.log"
  if [ -f "$PACK/torch_reference.py" ] && command -v python3 >/dev/null; then
    python3 "$PACK/torch_reference.py" --device cuda --size "$SIZE" --batch 32 >"$out/torch-cuda.json" 2>&1 ||
      echo "torch reference failed: see torch-cuda.json"
  fi
  # The models of real size, at 224 px and batch 32, as gpu-check.json's largeModels (issue 21's table).
  if command -v python3 >/dev/null; then
    for model in resnet18 densenet121; do
      python3 "$PACK/${model}_reference.py" --device cuda --size 224 --batch 32 >"$out/torch-cuda-$model.json" 2>&1 ||
        echo "torch $model failed: see torch-cuda-$model.json"
    done
  fi
  tail -n 40 "$out/gpu-check.log" || true
  tail -n 1 "$out"/torch-cuda*.json 2>/dev/null || true
}

case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  *) echo "usage: bench/gpu/run.sh prepare|device" >&2; exit 2 ;;
esac
