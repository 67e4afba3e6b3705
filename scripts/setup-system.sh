#!/usr/bin/env bash
# The system packages the test suites need beyond npm (run as root; does nothing where they are
# already installed): Debian's chromium for the browser test, and Mesa >= 25 lavapipe (a software
# Vulkan adapter) from bookworm-backports for the WebGPU trainer tests (Debian's own Mesa 22.3
# lavapipe lacks what Dawn requires). Everything else comes from the npm registry.
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
