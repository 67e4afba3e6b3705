// The preprocessing warp on the wasm kernel (runtime/wasm/warp.ts) against its spec, the JavaScript
// warpNormalise (runtime/image/warp.ts): the same f32 values to the bit, for random images (RGB and
// RGBA, Uint8Array and Uint8ClampedArray), transforms that up- and down-scale and leave parts of the
// input outside the image, both channel orders and random normalisations; in place in kernel memory
// (as the detector calls it, also when the copy of the image makes the memory grow) and into a JS array.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { warpNormalise, type Normalisation } from '../../runtime/image/warp.js';
import type { ImageSource } from '../../runtime/image/source.js';
import type { ImageTransform } from '../../runtime/image/transform.js';
import { wasmWarper } from '../../runtime/wasm/warp.js';
import { loadKernels } from '../helpers/kernels.js';
import { rng } from '../helpers/random.js';

const kn = await loadKernels();
const warper = wasmWarper(kn);

function image(width: number, height: number, channels: 3 | 4, clamped: boolean, seed: number): ImageSource {
  const r = rng(seed);
  const data = (clamped ? new Uint8ClampedArray(width * height * channels) : new Uint8Array(width * height * channels)).map(() => Math.floor(r() * 256));
  return { data, width, height, channels };
}

/** Bitwise equality of two float arrays (NaN-free here: every value is finite). */
function sameBits(a: Float32Array, b: Float32Array, where: string): void {
  assert.is(a.length, b.length, `${where}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.unreachable(`${where}: value ${i}: ${a[i]} (wasm) vs ${b[i]} (spec)`);
  }
}

const arbCase = fc.record({
  width: fc.integer({ min: 1, max: 37 }),
  height: fc.integer({ min: 1, max: 29 }),
  channels: fc.constantFrom(3 as const, 4 as const),
  clamped: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
  inputWidth: fc.integer({ min: 1, max: 41 }),
  inputHeight: fc.integer({ min: 1, max: 33 }),
  scale: fc.double({ min: 0.2, max: 4, noNaN: true }),
  offsetX: fc.double({ min: -20, max: 20, noNaN: true }),
  offsetY: fc.double({ min: -20, max: 20, noNaN: true }),
  bgr: fc.boolean(),
  mean: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
  std: fc.tuple(fc.double({ min: 0.05, max: 1, noNaN: true }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.double({ min: 0.05, max: 1, noNaN: true })),
});

test('wasm warp = the spec to the bit, into a JS array (random images, transforms, normalisations)', () => {
  fc.assert(
    fc.property(arbCase, (c) => {
      const src = image(c.width, c.height, c.channels, c.clamped, c.seed);
      const t: ImageTransform = { width: c.width, height: c.height, inputWidth: c.inputWidth, inputHeight: c.inputHeight, scale: c.scale, offsetX: c.offsetX, offsetY: c.offsetY };
      const norm: Normalisation = { mean: c.mean, std: c.std, channelOrder: c.bgr ? 'bgr' : 'rgb' };
      const spec = warpNormalise(src, t, norm);
      const fast = warpNormalise(src, t, norm, undefined, warper);
      assert.equal(fast.shape, spec.shape);
      sameBits(fast.data, spec.data, JSON.stringify(c));
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('in place in kernel memory (the detector\'s input buffer), also when the image copy grows the memory', () => {
  const norm: Normalisation = { mean: [0.408, 0.447, 0.47], std: [0.289, 0.274, 0.278], channelOrder: 'bgr' };
  const n = 64 * 48 * 3;
  const ptr = kn.heap.alloc(n * 4);
  try {
    // an RGBA image larger than the whole kernel memory: its copy into the heap must grow the memory
    // (detaching `out`), wherever the allocator finds room
    const before = kn.exports.memory.buffer.byteLength;
    const side = Math.ceil(Math.sqrt((before + 65536) / 4));
    const data = new Uint8Array(side * side * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24; // a cheap fill: the image can be large
    const src: ImageSource = { data, width: side, height: side, channels: 4 };
    const t: ImageTransform = { width: side, height: side, inputWidth: 64, inputHeight: 48, scale: 64 / side, offsetX: 0.5, offsetY: 3 };
    const spec = warpNormalise(src, t, norm);
    const out = kn.heap.f32(ptr, n);
    const result = warpNormalise(src, t, norm, out, warper);
    assert.ok(kn.exports.memory.buffer.byteLength > before, 'the memory grew during the warp (the case under test)');
    assert.ok(result.data.buffer === kn.exports.memory.buffer && result.data.byteOffset === ptr, 'the result is the buffer given, in place');
    sameBits(result.data, spec.data, 'in place');
  } finally {
    kn.heap.release(ptr);
  }
});

test('a wrongly sized out is an Error naming it, before any kernel runs', () => {
  const t: ImageTransform = { width: 4, height: 4, inputWidth: 4, inputHeight: 4, scale: 1, offsetX: 0, offsetY: 0 };
  const norm: Normalisation = { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' };
  assert.throws(() => warpNormalise(image(4, 4, 3, false, 1), t, norm, new Float32Array(5), warper), /out has 5 values, the 4x4 input needs 48/);
});

test.run();
