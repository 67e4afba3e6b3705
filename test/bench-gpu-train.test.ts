// bench/gpu-train.sh, the script a machine with a real GPU runs as is, run here on whatever adapter
// Dawn finds (in CI the software one .ci/run installs), at sizes a software adapter manages. It
// must print the adapter and a webgpu img/s row for both models; webgpu and wasm start from the same
// weights and batch, so their first losses agree (the gradients' agreement is
// trainer-webgpu.test.ts's); GPU_TRAIN_PROFILE=1 adds the costliest kernels of a step. Without
// GPU_TRAIN_ALLOW_SOFTWARE it must refuse a software adapter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SMALL = { GPU_TRAIN_RESNET_SIZE: '64', GPU_TRAIN_RESNET_BATCH: '2', GPU_TRAIN_TINY_BATCH: '2', GPU_TRAIN_STEPS: '1' };

function script(env: Record<string, string>) {
  const r = spawnSync('bash', ['bench/gpu-train.sh'], { cwd: root, env: { ...process.env, ...SMALL, ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rows of console.table's output: backend label -> [ms/step, img/s, first loss]. */
function rows(table: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of table.split('\n')) {
    const cells = line.split('│').map((c) => c.trim().replace(/^'|'$/g, ''));
    if (cells.length === 7 && /^\d+$/.test(cells[1])) out.set(cells[2], cells.slice(3, 6).map(Number));
  }
  return out;
}

let adapterIsSoftware = false;

test('gpu-train.sh prints the adapter and img/s of centernet-resnet18 and centernet-tiny, and with GPU_TRAIN_PROFILE=1 the costliest kernels', () => {
  const r = script({ GPU_TRAIN_ALLOW_SOFTWARE: '1', GPU_TRAIN_PROFILE: '1' });
  assert.is(r.status, 0, r.stderr.slice(-2000));
  const parts = r.stdout.split('## train-step.bench.ts').slice(1);
  assert.is(parts.length, 2, r.stdout);
  assert.match(parts[0], /^\s*centernet-resnet18 64x64, batch 2:/);
  assert.match(parts[1], /^\s*centernet-tiny 128x128, batch 2:/);
  const adapter = /webgpu adapter: (.+)/.exec(parts[0]);
  assert.ok(adapter, 'the adapter is named');
  adapterIsSoftware = /software\)$/.test(adapter![1]);
  const profile = /webgpu profile of one step: (\d+) kernel calls, ([\d.]+) ms of kernel time\n((?:  .+\n)+)/.exec(parts[0]);
  assert.ok(profile, `a profile of the resnet18 step: ${parts[0].slice(0, 1500)}`);
  assert.ok(Number(profile![1]) > 100, `${profile![1]} kernel calls`);
  const kernels = profile![3].trim().split('\n').map((l) => l.trim().split(/\s+/)[0]);
  assert.ok(kernels.length === 10 && kernels.includes('Conv2DBackpropFilter') && kernels.includes('Conv2D'), `the costliest kernels: ${kernels}`);
  const resnet = rows(parts[0]);
  assert.equal([...resnet.keys()], ['webgpu']);
  const tiny = rows(parts[1]);
  assert.equal([...tiny.keys()], ['webgpu', 'wasm + our SIMD training kernels']);
  for (const [ms, imgPerS, loss] of [...resnet.values(), ...tiny.values()]) {
    assert.ok(ms > 0 && imgPerS > 0 && Number.isFinite(loss) && loss > 0, `row ${ms} ${imgPerS} ${loss}`);
    assert.ok(Math.abs(imgPerS - 2000 / ms) <= 0.06 * imgPerS + 0.05, `img/s ${imgPerS} follows ms/step ${ms}`);
  }
  const [gpuLoss, wasmLoss] = [tiny.get('webgpu')![2], tiny.get('wasm + our SIMD training kernels')![2]];
  assert.ok(Math.abs(gpuLoss - wasmLoss) <= 1e-4 * wasmLoss, `first losses ${gpuLoss} (webgpu) and ${wasmLoss} (wasm)`);
});

test('gpu-train.sh refuses a software adapter unless asked', () => {
  if (!adapterIsSoftware) return; // a real GPU: the run above is the whole check
  const r = script({ GPU_TRAIN_ALLOW_SOFTWARE: '0' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /the only WebGPU adapter is .+ software.+GPU_TRAIN_ALLOW_SOFTWARE=1/);
  assert.not.match(r.stderr, /\n\s+at /, 'a message, not a stack');
});

test.run();
