// Backend selection: the order of preference with reasons for skipping, forced backends that
// cannot load, and the kernels registered so the wasm backend can train.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tfCore from '@tensorflow/tfjs-core';
import { selectBackend } from '../trainer/backend.js';
import { WASM_NATIVE_KERNELS, WASM_TRAINING_KERNELS } from '../trainer/wasm-kernels/register.js';
import { withBackend } from './helpers/trainer.js';

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

test('selectBackend: without native bindings the default choice is wasm, saying why the native ones were skipped', async () => {
  const lines: string[] = [];
  await withBackend('cpu', async () => {
    const b = await selectBackend(undefined, { log: (l) => lines.push(l) });
    assert.is(b.name, 'wasm');
    assert.is(b.tfBackend, 'wasm');
    assert.is(b.skipped.length, 2);
    assert.match(b.skipped[0], /^tfjs-node-gpu: @tensorflow\/tfjs-node-gpu is not installed .*libtensorflow, which needs internet/);
    assert.match(b.skipped[1], /^tfjs-node: @tensorflow\/tfjs-node is not installed/);
    assert.equal(b.wasmKernels?.native, [...WASM_NATIVE_KERNELS]);
    assert.equal(b.wasmKernels?.cpuFallback, ['UnsortedSegmentSum']);
  });
  const log = lines.join('\n');
  assert.match(log, /^backend: wasm\n/);
  assert.match(log, /skipped tfjs-node-gpu: /);
  assert.match(log, /training kernels from our wasm SIMD build: Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter/);
  assert.match(log, /training kernels run on the cpu backend's code \(data copied in and out\): UnsortedSegmentSum/);
});

test('selectBackend: a forced backend that cannot load is an error naming it; unknown names list the valid ones', async () => {
  await rejects(() => selectBackend('tfjs-node-gpu', { log: () => {} }), /--backend tfjs-node-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
  await rejects(() => selectBackend('tfjs-node', { log: () => {} }), /--backend tfjs-node: /);
  await rejects(() => selectBackend('gpu', { log: () => {} }), /--backend must be one of tfjs-node-gpu, tfjs-node, wasm, cpu, got "gpu"/);
});

test('selectBackend: forced cpu and wasm load, and every training kernel exists on wasm afterwards', async () => {
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
  assert.is(tfCore.getBackend(), 'cpu');
});

test.run();
