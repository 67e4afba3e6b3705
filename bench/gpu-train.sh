#!/usr/bin/env bash
# Training speed on this machine's GPU through WebGPU, as is, from a clone of the repository: the
# trainer's step (forward, loss, backward, Adam) of centernet-resnet18 at 512x512, batch 16, and of
# centernet-tiny at 128x128, batch 8 (with the wasm backend's figure beside it for scale). Prints the
# adapter and img/s. Installs nothing but the repository's npm packages (`npm ci`, when
# node_modules is missing). Needs Node 20+ and a GPU driver that Dawn can use: Vulkan on Linux
# (with the vendor's driver installed), Metal on macOS, D3D12 on Windows (Git Bash / WSL2).
#
# Refuses a software adapter (lavapipe, SwiftShader: ~10x slower than wasm) unless
# GPU_TRAIN_ALLOW_SOFTWARE=1. Smaller runs, e.g. to try the script on a software adapter:
# GPU_TRAIN_RESNET_SIZE (default 512), GPU_TRAIN_RESNET_BATCH (16), GPU_TRAIN_TINY_BATCH (8),
# GPU_TRAIN_STEPS (timed steps after one warm-up, 10). GPU_TRAIN_PROFILE=1 adds each run's costliest
# kernels (GPU time from timestamp queries, where the device has them).
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "bench/gpu-train.sh: needs Node 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
steps=${GPU_TRAIN_STEPS:-10}
software=$([ "${GPU_TRAIN_ALLOW_SOFTWARE:-0}" = 1 ] && echo 1 || echo 0)
bench() {
  BENCH_TRAIN_ARCH=$1 BENCH_TRAIN_SIZE=$2 BENCH_TRAIN_BATCH=$3 BENCH_TRAIN_BACKENDS=$4 \
    BENCH_TRAIN_STEPS=$steps BENCH_TRAIN_WEBGPU_SOFTWARE=$software BENCH_TRAIN_PROFILE=${GPU_TRAIN_PROFILE:-0} \
    node --import tsx bench/run.ts train-step
}
bench centernet-resnet18 "${GPU_TRAIN_RESNET_SIZE:-512}" "${GPU_TRAIN_RESNET_BATCH:-16}" webgpu
bench centernet-tiny 128 "${GPU_TRAIN_TINY_BATCH:-8}" webgpu,wasm
