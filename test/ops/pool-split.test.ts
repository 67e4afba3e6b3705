// The kernel pool (runtime/threads/): every kernel call it splits by rows computes exactly the
// values of the same call run whole (each output element sees the same arithmetic in the same
// order), for strides, asymmetric padding, dilation, groups, transposed convs and tails of rows
// and tiles. The pool's leader is this thread (Node allows Atomics.wait on its main thread).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dInto, conv2dOutputShape, conv2dTransposeInto, conv2dTransposeOutputShape, packConv2d, packConv2dTranspose } from '../../runtime/ops/conv-packed.js';
import type { ConvPad } from '../../runtime/ops/conv-params.js';
import { affineChannelsInto, concatChannelsInto, reluInto, upsampleNearestInto } from '../../runtime/ops/elementwise.js';
import { maxPool2dInto, poolGeometry } from '../../runtime/ops/pooling.js';
import { loadThreadedKernels } from '../../runtime/threads/threaded-kernels.js';
import type { KernelPool } from '../../runtime/threads/pool.js';
import type { Kernels } from '../../runtime/wasm/loader.js';
import { randomF32 } from '../helpers/random.js';

/** Three threads on any machine: more chunks than cores is still correct, and tails get exercised. */
const threaded = await loadThreadedKernels(3);
const pool = threaded.pool!;
/** The same instance with the pool switched on and off (packed weights belong to one instance). */
const k = threaded as { -readonly [K in keyof Kernels]: Kernels[K] };

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `call` whole and split; returns both outputs after checking the pool really split it. */
function wholeAndSplit(outFloats: number, call: (out: number) => void): [Float32Array, Float32Array] {
  const out = k.heap.alloc(outFloats * 4);
  try {
    k.pool = undefined;
    k.heap.f32(out, outFloats).fill(NaN);
    call(out);
    const whole = k.heap.f32(out, outFloats).slice();
    k.pool = pool;
    k.heap.f32(out, outFloats).fill(NaN);
    const before = pool.stats.split;
    call(out);
    assert.ok(pool.stats.split > before, 'the pool split the call');
    return [whole, k.heap.f32(out, outFloats).slice()];
  } finally {
    k.pool = pool;
    k.heap.release(out);
  }
}

function assertSame(label: string, whole: Float32Array, split: Float32Array): void {
  assert.ok(whole.every((v) => !Number.isNaN(v)), `${label}: the whole call wrote every output`);
  const at = whole.findIndex((v, i) => !Object.is(v, split[i]));
  assert.is(at, -1, `${label}: split output differs at ${at}: ${split[at]} vs ${whole[at]}`);
}

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride?: [number, number];
  pad?: ConvPad;
  dilation?: [number, number];
  groups?: number;
  layout?: 'winograd';
}

const CONVS: ConvCase[] = [
  { name: '3x3 pad 1 (igemm)', x: [1, 23, 17, 16], k: [3, 3], cout: 24, pad: 1 },
  { name: '3x3 stride 2, asymmetric pad, dilation 2 (igemm)', x: [1, 31, 29, 8], k: [3, 3], cout: 16, stride: [2, 2], pad: [1, 2, 3, 0], dilation: [2, 2] },
  { name: '3x3 groups 2, cout tail (igemm)', x: [1, 20, 21, 16], k: [3, 3], cout: 18, groups: 2, pad: 1 },
  { name: '7x7 stride 2 pad 3 (the ResNet stem: igemmRows)', x: [1, 37, 35, 3], k: [7, 7], cout: 16, stride: [2, 2], pad: 3 },
  { name: '5x3 asymmetric pad, dilation [2, 1] (igemmRows)', x: [1, 40, 13, 2], k: [5, 3], cout: 12, pad: [3, 0, 2, 1], dilation: [2, 1] },
  { name: '1x1 (gemm), pixel tail', x: [1, 29, 31, 32], k: [1, 1], cout: 40 },
  { name: '3x3 depthwise stride 2', x: [1, 41, 37, 48], k: [3, 3], cout: 48, groups: 48, stride: [2, 2], pad: 1 },
  // chunks of whole tile rows: an odd output size, and more rows than one block of tiles
  { name: '3x3 pad 1 (winograd), odd size', x: [1, 61, 59, 8], k: [3, 3], cout: 12, pad: 1, layout: 'winograd' },
  { name: '3x3 asymmetric pad (winograd), cin 64', x: [1, 33, 20, 64], k: [3, 3], cout: 16, pad: [0, 2, 1, 1], layout: 'winograd' },
  // chunks of output-channel panels: fewer tiles (5 x 4) than output channels, a 4-channel last
  // panel; and a batch, which the row split cannot split
  { name: '3x3 pad 1 (winograd by panels), cout tail', x: [1, 9, 7, 32], k: [3, 3], cout: 52, pad: 1, layout: 'winograd' },
  { name: '3x3 pad 1 (winograd by panels), batch of 2', x: [2, 10, 11, 16], k: [3, 3], cout: 24, pad: 1, layout: 'winograd' },
];

for (const c of CONVS) {
  test(`pool split: conv ${c.name}`, () => {
    const cinG = c.x[3] / (c.groups ?? 1);
    const w = randomF32(c.k[0] * c.k[1] * cinG * c.cout, 11);
    const bias = randomF32(c.cout, 12);
    const packed = packConv2d(k, w, [c.k[0], c.k[1], cinG, c.cout], { bias, groups: c.groups, layout: c.layout });
    const x = k.heap.allocF32(randomF32(product(c.x), 13));
    try {
      const opts = { stride: c.stride, pad: c.pad, dilation: c.dilation, activation: 'relu' as const };
      const outShape = conv2dOutputShape(c.x, packed, opts);
      const [whole, split] = wholeAndSplit(product(outShape), (out) => conv2dInto(k, packed, x, c.x, out, opts));
      assertSame(c.name, whole, split);
    } finally {
      k.heap.release(x);
      packed.release();
    }
  });
}

const DECONVS = [
  { name: '4x4 stride 2 pad 1 (igemm phases)', x: [1, 16, 15, 16] as const, k: 4, cout: 16, groups: 1 },
  { name: '4x4 stride 2 pad 1 depthwise', x: [1, 30, 29, 64] as const, k: 4, cout: 64, groups: 64 },
  { name: '3x3 stride 2 pad 1 output padding 1', x: [1, 17, 13, 24] as const, k: 3, cout: 20, groups: 1, outputPadding: 1 },
];

for (const c of DECONVS) {
  test(`pool split: transposed conv ${c.name}`, () => {
    const cin = c.x[3];
    const coutG = c.cout / c.groups;
    const w = randomF32(c.k * c.k * coutG * cin, 21);
    const packed = packConv2dTranspose(k, w, [c.k, c.k, coutG, cin], { bias: randomF32(c.cout, 22), stride: 2, groups: c.groups });
    const x = k.heap.allocF32(randomF32(product(c.x), 23));
    try {
      const opts = { pad: 1, outputPadding: c.outputPadding ?? 0, activation: 'relu' as const };
      const outShape = conv2dTransposeOutputShape(c.x, packed, opts);
      const [whole, split] = wholeAndSplit(product(outShape), (out) => conv2dTransposeInto(k, packed, x, c.x, out, opts));
      assertSame(c.name, whole, split);
    } finally {
      k.heap.release(x);
      packed.release();
    }
  });
}

// Each chunk of a panel split runs the input transform of every tile again, so that split takes 2
// chunks a thread where the others take 4 (runtime/ops/conv-packed.ts says what it measured).
test('pool: chunks a thread: a Winograd conv split by panels 2, by tile rows 4; outputs as whole', () => {
  const cases = [
    // 64 tiles < 192 channels: 24 panels over 3 threads x 2
    { x: [1, 16, 16, 64] as const, cout: 192, chunks: 6 },
    // 1024 tiles > 8 channels: 48 rows in whole tile rows over 3 threads x 4
    { x: [1, 48, 48, 8] as const, cout: 8, chunks: 12 },
  ];
  for (const c of cases) {
    const packed = packConv2d(k, randomF32(9 * c.x[3] * c.cout, 31), [3, 3, c.x[3], c.cout], { bias: randomF32(c.cout, 32), layout: 'winograd' });
    const x = k.heap.allocF32(randomF32(product(c.x), 33));
    try {
      let chunks = 0;
      const [whole, split] = wholeAndSplit(c.x[1] * c.x[2] * c.cout, (out) => {
        const before = pool.stats.chunks;
        conv2dInto(k, packed, x, c.x, out, { pad: 1 });
        chunks = pool.stats.chunks - before;
      });
      assert.is(chunks, c.chunks, `[${c.x}] -> ${c.cout} channels: chunks`);
      assertSame(`[${c.x}] -> ${c.cout}`, whole, split);
    } finally {
      k.heap.release(x);
      packed.release();
    }
  }
});

/** Input buffers filled with seeded values, released after `body`. */
function withInputs(sizes: number[], body: (...ptrs: number[]) => void): void {
  const ptrs = sizes.map((n, i) => k.heap.allocF32(randomF32(n, 40 + i, -2, 2)));
  try {
    body(...ptrs);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}

test('pool split: ReLU over an odd number of elements (4-lane tail)', () => {
  const n = 600_001;
  withInputs([n], (x) => assertSame('relu', ...wholeAndSplit(n, (out) => reluInto(k, x, out, n))));
});

test('pool split: per-channel affine with ReLU', () => {
  const [pixels, c] = [9001, 64];
  withInputs([pixels * c, c, c], (x, scale, shift) => assertSame('affine', ...wholeAndSplit(pixels * c, (out) => affineChannelsInto(k, x, pixels, c, scale, shift, true, out))));
});

test('pool split: nearest up-sampling by 2', () => {
  const shape = [1, 61, 50, 64];
  withInputs([product(shape)], (x) => assertSame('upsample', ...wholeAndSplit(product(shape) * 4, (out) => upsampleNearestInto(k, x, shape, 2, out))));
});

test('pool split: channel concat', () => {
  const pixels = 20_003;
  withInputs([pixels * 32, pixels * 48], (a, b) =>
    assertSame('concat', ...wholeAndSplit(pixels * 80, (out) => concatChannelsInto(k, [{ ptr: a, channels: 32 }, { ptr: b, channels: 48 }], pixels, out))),
  );
});

test('pool split: 3x3 stride 2 max-pool with padding (the ResNet stem pool)', () => {
  const shape = [1, 65, 61, 64];
  const g = poolGeometry('test', { kernel: 3, stride: 2, pad: 1 });
  withInputs([product(shape)], (x) => assertSame('maxpool', ...wholeAndSplit(33 * 31 * 64, (out) => maxPool2dInto(k, x, shape, g, out))));
});

test('pool: a batch of two images runs whole (rows split only within one image)', () => {
  const shape = [2, 20, 20, 16] as const;
  const packed = packConv2d(k, randomF32(9 * 16 * 16, 31), [3, 3, 16, 16]);
  const x = k.heap.allocF32(randomF32(product(shape), 32));
  const out = k.heap.alloc(product(shape) * 4);
  try {
    const before = { ...pool.stats };
    conv2dInto(k, packed, x, shape, out, { pad: 1 });
    assert.is(pool.stats.split, before.split);
    assert.is(pool.stats.whole, before.whole + 1);
  } finally {
    k.heap.release(out);
    k.heap.release(x);
    packed.release();
  }
});

test('pool: alone() runs every call whole on this thread, returns its value, and the pool splits again after it (also after a throw)', () => {
  const n = 600_001;
  withInputs([n], (x) => {
    const out = k.heap.alloc(n * 4);
    try {
      const before = { ...pool.stats };
      assert.is(pool.alone(() => (reluInto(k, x, out, n), 7)), 7);
      assert.equal(pool.stats, { ...before, whole: before.whole + 1 }, 'whole inside alone()');
      assert.throws(() => pool.alone(() => { throw new Error('inside'); }), /inside/);
      reluInto(k, x, out, n);
      assert.is(pool.stats.split, before.split + 1, 'split again after alone()');
    } finally {
      k.heap.release(out);
    }
  });
});

test('pool: close() stops the helpers; a later call is an Error', async () => {
  const other = (await loadThreadedKernels(2)).pool as KernelPool;
  other.close();
  assert.throws(() => other.run({ fn: 'reluF32', args: [0, 0, 0], rows: 2, rowsArg: 2, perRow: [] }, 1 << 20), /used after close\(\)/);
});

test.after(() => pool.close());

test.run();
