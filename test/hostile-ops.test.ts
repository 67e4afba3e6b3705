// Hostile-input suite: every `ops` function and both decodes with generated arguments (shapes,
// values incl. NaN and infinities, options of any type and name). Each call returns or throws an
// Error naming the function; kernel memory is back to where it was after every call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeCenterNet } from '../runtime/decode/centernet.js';
import { decodeCornerNet } from '../runtime/decode/cornernet.js';
import * as ops from '../runtime/ops/index.js';
import type { Kernels } from '../runtime/wasm/loader.js';
import { loadKernels } from './helpers/kernels.js';
import { count, endsCleanly, hostileNumber, hostileValue, params } from './helpers/hostile.js';

const value = fc.oneof({ weight: 6, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e30, -1e30, 0) });

/** A tensor whose data length usually matches its shape; sometimes not; sometimes not a tensor at all. */
function tensor(rank: number | undefined, maxSide = 5): fc.Arbitrary<unknown> {
  const dims = fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: maxSide }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, NaN) }), rank === undefined ? { minLength: 0, maxLength: 5 } : { minLength: rank, maxLength: rank });
  const good = dims.chain((shape) => {
    const n = shape.every((d) => Number.isInteger(d) && d >= 0) ? shape.reduce((a, b) => a * b, 1) : 3;
    return fc.tuple(fc.constant(shape), fc.oneof({ weight: 8, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: n + 3 }) }), value).map(([s, len, v]) => {
      const data = new Float32Array(Math.min(len, 4000));
      for (let i = 0; i < data.length; i++) data[i] = i % 7 === 0 ? v : Math.sin(i * 12.9898 + v) * 3;
      return { data, shape: s };
    });
  });
  return fc.oneof({ weight: 10, arbitrary: good }, { weight: 1, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.record({ data: hostileValue, shape: hostileValue }) });
}

/** An options object: each known name absent, plausible, or (1 in 8) hostile; sometimes an unknown name. */
function options(known: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const entries = Object.fromEntries(Object.entries(known).map(([k, a]) => [k, fc.oneof({ weight: 7, arbitrary: a }, { weight: 1, arbitrary: hostileValue })]));
  const rec = fc.record(entries, { requiredKeys: [] });
  return fc.oneof(
    { weight: 12, arbitrary: rec },
    { weight: 1, arbitrary: fc.tuple(rec, fc.string({ minLength: 1, maxLength: 6 }), hostileValue).map(([o, k, v]) => ({ ...(o as object), [k]: v })) },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** A well-formed tensor of `shape` (values with the odd NaN / infinity), or (1 in 10) a hostile one. */
function tensorOf(shape: number[]): fc.Arbitrary<unknown> {
  const n = shape.reduce((a, b) => a * b, 1);
  const good = fc.tuple(value, fc.integer({ min: 0, max: 1000 })).map(([v, seed]) => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = i % 11 === seed % 11 ? v : Math.sin(i * 12.9898 + seed) * 3;
    return { data, shape };
  });
  return fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: tensor(shape.length) });
}

const side = fc.integer({ min: 1, max: 6 });
const small = fc.integer({ min: 0, max: 3 });
const positive = fc.integer({ min: 1, max: 3 });
const pair = fc.oneof(positive, fc.tuple(positive, positive));
const unit = fc.double({ min: 0, max: 1, noNaN: true });
let kn: Kernels;

function property(entry: string, names: RegExp, arbitrary: fc.Arbitrary<unknown[]>, call: (...args: never[]) => unknown, quick = 1000): void {
  const before = kn.heap.allocatedBytes;
  fc.assert(
    fc.property(arbitrary, (args) => {
      const threw = endsCleanly(() => call(...(args as never[])), names, entry);
      count(entry, threw);
      if (kn.heap.allocatedBytes !== before) throw new Error(`${entry}: kernel memory leaked: ${kn.heap.allocatedBytes - before} bytes`);
    }),
    params(quick),
  );
}

test.before(async () => {
  kn = await loadKernels();
});

test('ops.conv2d and ops.conv2dTranspose', () => {
  // x [1, h, w, groups * cinG], w [kh, kw, cinG, groups * coutG]: consistent, then options vary
  const convArgs = fc.record({ h: side, w: side, kh: positive, kw: positive, groups: fc.integer({ min: 1, max: 2 }), cinG: positive, coutG: positive }).chain((g) =>
    fc.tuple(
      tensorOf([1, g.h, g.w, g.groups * g.cinG]),
      tensorOf([g.kh, g.kw, g.cinG, g.groups * g.coutG]),
      options({ bias: tensorOf([g.groups * g.coutG]), stride: pair, pad: fc.oneof(small, fc.constant('same'), fc.tuple(small, small, small, small)), dilation: pair, groups: fc.constant(g.groups), activation: fc.constantFrom('none', 'relu'), kernel: fc.constantFrom('auto', 'scalar', 'igemm', 'gemm1x1', 'depthwise') }),
    ),
  );
  property('ops.conv2d', /^conv2d: /, convArgs, ops.conv2d as never, 600);
  const transposeArgs = fc.record({ h: side, w: side, kh: positive, kw: positive, cin: positive, cout: positive }).chain((g) =>
    fc.tuple(
      tensorOf([1, g.h, g.w, g.cin]),
      tensorOf([g.kh, g.kw, g.cout, g.cin]),
      options({ bias: tensorOf([g.cout]), stride: pair, pad: fc.oneof(small, fc.tuple(small, small, small, small)), outputPadding: fc.oneof(small, fc.tuple(small, small)), activation: fc.constantFrom('none', 'relu'), kernel: fc.constantFrom('auto', 'scalar') }),
    ),
  );
  property('ops.conv2dTranspose', /^conv2dTranspose: /, transposeArgs, ops.conv2dTranspose as never, 600);
});

const image4 = fc.tuple(side, side, positive).chain(([h, w, c]) => tensorOf([1, h, w, c]));

test('ops.maxPool2d, ops.cornerPool, ops.sigmoid', () => {
  property('ops.maxPool2d', /^maxPool2d: /, fc.tuple(image4, options({ kernel: pair, stride: pair, pad: fc.oneof(small, fc.tuple(small, small, small, small)) })), ops.maxPool2d as never, 600);
  property('ops.cornerPool', /^cornerPool: /, fc.tuple(image4, fc.oneof({ weight: 6, arbitrary: fc.constantFrom('top', 'left', 'bottom', 'right') }, { weight: 1, arbitrary: hostileValue })), ops.cornerPool as never, 400);
  property('ops.sigmoid', /^sigmoid: /, fc.tuple(fc.oneof(image4, tensor(undefined))), ops.sigmoid as never, 300);
});

test('ops.heatmapPeaks, ops.topK, ops.nms, ops.softNms', () => {
  const heat = fc.tuple(side, side, positive).chain(([h, w, c]) => tensorOf([h, w, c]));
  property('ops.heatmapPeaks', /^heatmapPeaks: /, fc.tuple(heat, options({ k: fc.integer({ min: 1, max: 30 }), kernel: fc.constantFrom(1, 3, 5) })), ops.heatmapPeaks as never, 600);
  const floats = fc.oneof({ weight: 8, arbitrary: fc.array(value, { maxLength: 40 }).map((a) => Float32Array.from(a)) }, { weight: 1, arbitrary: hostileValue });
  property('ops.topK', /^topK: /, fc.tuple(floats, fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 45 }) }, { weight: 1, arbitrary: hostileNumber })), ops.topK as never, 400);
  // n boxes and n scores, usually well-formed, (1 in 10) anything
  const boxesAndScores = fc.integer({ min: 0, max: 12 }).chain((n) =>
    fc.tuple(
      fc.oneof({ weight: 9, arbitrary: fc.array(fc.tuple(fc.float({ min: -5, max: 40, noNaN: true }), fc.float({ min: -5, max: 40, noNaN: true }), fc.float({ min: 0, max: 20, noNaN: true }), fc.float({ min: 0, max: 20, noNaN: true })), { minLength: n, maxLength: n }).map((bs) => Float32Array.from(bs.flatMap(([x, y, w, h]) => [x, y, x + w, y + h])) as unknown) }, { weight: 1, arbitrary: floats }),
      fc.oneof({ weight: 9, arbitrary: fc.array(value, { minLength: n, maxLength: n }).map((a) => Float32Array.from(a) as unknown) }, { weight: 1, arbitrary: floats }),
    ),
  );
  property('ops.nms', /^nms: /, fc.tuple(boxesAndScores, options({ iouThreshold: unit })).map(([[b, s], o]) => [b, s, o]), ops.nms as never, 500);
  property('ops.softNms', /^softNms: /, fc.tuple(boxesAndScores, options({ method: fc.constantFrom('linear', 'gaussian', 'hard'), iouThreshold: unit, sigma: fc.double({ min: 0.01, max: 2, noNaN: true }), scoreThreshold: unit })).map(([[b, s], o]) => [b, s, o]), ops.softNms as never, 500);
});

test('decodeCenterNet and decodeCornerNet', () => {
  const k = fc.integer({ min: 1, max: 20 });
  const kernel = fc.constantFrom(1, 3, 5);
  const stride = fc.constantFrom(1, 4, 2.5);
  // NHWC heads on one h x w grid (1 in 10 a hostile one), options plausible or hostile
  const grid = fc.record({ h: fc.integer({ min: 2, max: 6 }), w: fc.integer({ min: 2, max: 6 }), c: fc.integer({ min: 1, max: 3 }) });
  const centerHeads = grid.chain(({ h, w, c }) => fc.record({ heatmap: tensorOf([h, w, c]), wh: tensorOf([h, w, 2]), offset: fc.option(tensorOf([h, w, 2]), { nil: undefined }) }, { requiredKeys: ['heatmap', 'wh'] }));
  const centerOptions = options({ k, kernel, stride, layout: fc.constant('NHWC'), logits: fc.boolean() });
  property('decodeCenterNet', /^decodeCenterNet: /, fc.tuple(fc.oneof({ weight: 12, arbitrary: centerHeads }, { weight: 1, arbitrary: hostileValue }), centerOptions), decodeCenterNet as never, 1000);
  const cornerHeads = grid.chain(({ h, w, c }) => fc.record({ tlHeatmap: tensorOf([h, w, c]), brHeatmap: tensorOf([h, w, c]), tlEmbedding: tensorOf([h, w, 1]), brEmbedding: tensorOf([h, w, 1]), tlOffset: tensorOf([h, w, 2]), brOffset: tensorOf([h, w, 2]) }));
  const cornerOptions = options({ k, kernel, aeThreshold: fc.double({ min: 0, max: 2, noNaN: true }), numDets: fc.integer({ min: 1, max: 50 }), pairScore: fc.constantFrom('mean', 'geometric'), stride, layout: fc.constant('NHWC'), logits: fc.boolean() });
  property('decodeCornerNet', /^decodeCornerNet: /, fc.tuple(fc.oneof({ weight: 12, arbitrary: cornerHeads }, { weight: 1, arbitrary: hostileValue }), cornerOptions), decodeCornerNet as never, 1000);
});

test.run();
