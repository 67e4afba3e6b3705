// How the kernel pool cuts a Winograd conv (runtime/threads/pool.ts, runtime/ops/conv-packed.ts):
// a conv with fewer 2x2 tiles than output channels splits by weight panels into 2 chunks a thread
// (each chunk repeats the input transform, so fewer chunks than the default 4), a conv with many
// tiles by tile rows into 4 chunks a thread; both give on 2 threads exactly the outputs of 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dInto, packConv2d, WINOGRAD_PANEL, winogradSplitsByPanels } from '../runtime/ops/conv-packed.js';
import { loadThreadedKernels } from '../runtime/threads/threaded-kernels.js';
import type { Kernels } from '../runtime/wasm/loader.js';
import { randomF32 } from './helpers/random.js';

/** A 3x3 pad-1 conv of a [1, size, size, cin] input on `threads` threads: its output and the pool's chunk count for it. */
async function winogradConv(threads: number, size: number, cin: number, cout: number): Promise<{ out: Float32Array; chunks: number; split: number }> {
  const kn: Kernels = await loadThreadedKernels(threads);
  try {
    const packed = packConv2d(kn, randomF32(9 * cin * cout, 3), [3, 3, cin, cout], { bias: randomF32(cout, 4), layout: 'winograd' });
    const x = kn.heap.alloc(size * size * cin * 4);
    const out = kn.heap.alloc(size * size * cout * 4);
    try {
      kn.heap.f32(x, size * size * cin).set(randomF32(size * size * cin, 5));
      const before = { ...(kn.pool?.stats ?? { chunks: 0, split: 0 }) };
      conv2dInto(kn, packed, x, [1, size, size, cin], out, { pad: 1, activation: 'relu' });
      const after = kn.pool?.stats ?? { chunks: 0, split: 0 };
      return { out: kn.heap.f32(out, size * size * cout).slice(), chunks: after.chunks - before.chunks, split: after.split - before.split };
    } finally {
      kn.heap.release(x);
      kn.heap.release(out);
      packed.release();
    }
  } finally {
    kn.pool?.close();
  }
}

test('a Winograd conv with fewer tiles than channels splits by panels, 2 chunks a thread; outputs equal one thread\'s', async () => {
  // 16x16: 64 tiles < 256 channels (ResNet's last stage has 64 tiles and 512 channels)
  const [size, cin, cout] = [16, 64, 256];
  assert.ok(winogradSplitsByPanels(1, size, size, cout));
  const one = await winogradConv(1, size, cin, cout);
  const two = await winogradConv(2, size, cin, cout);
  assert.is(two.split, 1, 'the conv is one split call');
  assert.is(two.chunks, 4, `${cout / WINOGRAD_PANEL} panels on 2 threads: 2 chunks a thread`);
  assert.ok(two.out.every((v, i) => Object.is(v, one.out[i])), 'outputs bit-identical to one thread');
  assert.ok(one.out.some((v) => v > 0), 'the conv computed something');
});

test('a Winograd conv with many tiles splits by tile rows, 4 chunks a thread; outputs equal one thread\'s', async () => {
  // 64x64: 1024 tiles > 32 channels; 64 rows in whole tile rows of 2
  const [size, cin, cout] = [64, 32, 32];
  assert.not.ok(winogradSplitsByPanels(1, size, size, cout));
  const one = await winogradConv(1, size, cin, cout);
  const two = await winogradConv(2, size, cin, cout);
  assert.is(two.split, 1, 'the conv is one split call');
  assert.is(two.chunks, 8, '64 rows on 2 threads: 4 chunks a thread of 8 rows');
  assert.ok(two.out.every((v, i) => Object.is(v, one.out[i])), 'outputs bit-identical to one thread');
});

test.run();
