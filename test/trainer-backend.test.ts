// Backend selection: the order of preference with reasons for skipping, forced backends that
// cannot load, and the kernels registered so the wasm backend can train.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tfCore from '@tensorflow/tfjs-core';
import { selectBackend } from '../trainer/backend.js';
import { WASM_NATIVE_KERNELS, WASM_TRAINING_KERNELS } from '../trainer/wasm-kernels/register.js';
import { withBackend } from './helpers/trainer.js';

const execFileP = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

test('selectBackend: without native bindings or a GPU the default choice is wasm, saying in one line each why the others were skipped', async () => {
  const lines: string[] = [];
  await withBackend('cpu', async () => {
    const b = await selectBackend(undefined, { log: (l) => lines.push(l) });
    assert.is(b.name, 'wasm');
    assert.is(b.tfBackend, 'wasm');
    assert.is(b.skipped.length, 3);
    assert.match(b.skipped[0], /^tfjs-node-gpu: @tensorflow\/tfjs-node-gpu is not installed .*libtensorflow, which needs internet/);
    assert.match(b.skipped[1], /^tfjs-node: @tensorflow\/tfjs-node is not installed/);
    // no real GPU here: a software adapter (as in CI) or none at all, never taken automatically
    assert.match(b.skipped[2], /^webgpu: (the only WebGPU adapter is .+ \(.*software\), slower than wasm: --backend webgpu uses it anyway|no WebGPU adapter was found: it needs a Vulkan .*VK_ICD_FILENAMES.*)$/);
    assert.not.match(b.skipped[2], /\n/);
    assert.equal(b.wasmKernels?.native, [...WASM_NATIVE_KERNELS]);
    assert.equal(b.wasmKernels?.cpuFallback, ['UnsortedSegmentSum']);
  });
  const log = lines.join('\n');
  assert.match(log, /^backend: wasm\n/);
  assert.match(log, /skipped tfjs-node-gpu: /);
  assert.match(log, /training kernels from our wasm SIMD build: Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, AnchorlessBatchNormTrain, AnchorlessBatchNormTrainGrad, AnchorlessCornerPool, AnchorlessCornerPoolGrad, AnchorlessUpsampleNearest, AnchorlessUpsampleNearestGrad, AnchorlessMaxPool, AnchorlessMaxPoolGrad, Identity\n/);
  assert.match(log, /training kernels run on the cpu backend's code \(data copied in and out\): UnsortedSegmentSum/);
});

test('selectBackend: a forced backend that cannot load is an error naming it; unknown names list the valid ones', async () => {
  await rejects(() => selectBackend('tfjs-node-gpu', { log: () => {} }), /--backend tfjs-node-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
  await rejects(() => selectBackend('tfjs-node', { log: () => {} }), /--backend tfjs-node: /);
  await rejects(() => selectBackend('gpu', { log: () => {} }), /--backend must be one of tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu, got "gpu"/);
});

test('no WebGPU adapter (Vulkan pointed at no driver): --backend webgpu says why and what to install; automatic selection skips it in one line', async () => {
  const script = `import { selectBackend } from './trainer/backend.ts';
const auto = await selectBackend(undefined, { log: () => {} });
console.log(JSON.stringify(auto.skipped));
await selectBackend('webgpu', { log: () => {} }).catch((e) => console.log(e.message));`;
  const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, VK_ICD_FILENAMES: path.join(root, 'no-such-icd.json') } });
  const [skipped, forced] = stdout.trim().split('\n');
  assert.match((JSON.parse(skipped) as string[])[2], /^webgpu: no WebGPU adapter was found: it needs a Vulkan \(Linux, Windows\), Metal \(macOS\) or D3D12 \(Windows\) driver \(on Linux with the Vulkan loader, libvulkan1; NVIDIA's Vulkan driver also needs glvnd, libglvnd0\); .*Mesa >= 25 lavapipe .*SwiftShader/);
  assert.match(forced, /^--backend webgpu: no WebGPU adapter was found: it needs a Vulkan .* driver \(on Linux with the Vulkan loader, libvulkan1; .*\); a software adapter on Linux: Mesa >= 25 lavapipe \(Debian bookworm-backports: mesa-vulkan-drivers\)/);
});

test('selectBackend: forced cpu and wasm load, and every training kernel exists on wasm afterwards', async () => {
  // withBackend restores the backend found before (wasm after a suite that trained, cpu otherwise)
  const before = tfCore.engine().backendName === 'wasm' ? 'wasm' : 'cpu';
  await withBackend('cpu', (tf) => assert.is(tf.getBackend(), 'cpu'));
  await withBackend('wasm', (tf) => {
    for (const k of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(k, 'wasm'), k);
    // UnsortedSegmentSum through the fallback: [1, 2, 3, 4] into segments [0, 1, 0, 1] -> [4, 6].
    const y = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
    assert.equal(Array.from(y.dataSync()), [4, 6]);
    // Fallback kernels leave no tensors behind on either backend.
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.unsortedSegmentSum(tf.ones([8, 3]), tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
    });
    assert.is(tf.memory().numTensors, before);
  });
  assert.is(tfCore.getBackend(), before);
});

test.run();
