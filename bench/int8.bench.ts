// int8 against fp32 convolution (issue 13): the 3x3 convs of centernet-resnet18's backbone at a
// 512x512 input (the stride-1 layer of each stage, 128x128x64 .. 16x16x512, and the stride-2 layer
// that enters stages 2-4), int8 (activation quantise pass + integer conv + f32 epilogue) against
// the packed fp32 conv as the execution plan runs it (Winograd for the stride-1 layers), each kernel
// build, one thread: the c2 layout (i16 codes, dot_i16x8) direct and, for the stride-1 layers, as
// exact integer Winograd (what the plan runs), on both builds; the c4 layout (7-bit byte codes,
// relaxed dot i8x16) on the relaxed one. Kernel time only, as bench/conv.bench.ts:
// inputs and packed weights already live on the kernel heap (the int8 module runs on the fp32
// kernels' memory: runtime/wasm/int8-loader.ts). The "backbone" line weights each
// layer by how often ResNet-18 runs it (4 stride-1 convs in stage 1, 3 + 1 stride-2 in stages 2-4;
// the stem, 1x1 downsamples and the head stay out).
// Goal (issue 13, whole model): int8 >= 1.5x fp32 with the SIMD128 build, >= 1.8x with the relaxed one.
import { Bench } from 'tinybench';
import { relaxedSimdSupported } from '../runtime/wasm/features.js';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { loadInt8Kernels, type Int8Kernels } from '../runtime/wasm/int8-loader.js';
import { conv2dInto, conv2dOutputShape, packConv2d } from '../runtime/ops/conv-packed.js';
import { conv2dInt8Into, int8ActivationBytes, packConv2dInt8, quantizeActivationsInto, type Int8ConvLayout } from '../runtime/ops/conv-int8.js';

/** An int8 kernel: a layout, direct or (c2, stride-1 layers) Winograd. */
interface Int8Kind {
  layout: Int8ConvLayout;
  winograd: boolean;
}
const kindName = (k: Int8Kind) => `${k.layout}${k.winograd ? ' winograd' : ''}`;
import { activationQuant, quantizeConvWeights } from '../runtime/ops/int8-quant.js';
import { randomF32 } from '../test/helpers/random.js';

/** Milliseconds per call: the fastest tinybench sample (the one that measures the kernel, not the shared CPU's noise). */
async function measure(name: string, fn: () => void): Promise<number> {
  const bench = new Bench({ time: 300, iterations: 5, warmupIterations: 3 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (!('latency' in result)) throw new Error(`bench ${name} did not complete: ${result.state}`);
  return result.latency.min;
}

const ROUNDS = 3;

/** The fastest of ROUNDS measurements per task, interleaved so that a burst of load hits every task alike. */
async function fastest(tasks: { name: string; fn: () => void }[]): Promise<number[]> {
  const best = tasks.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of tasks.entries()) best[i] = Math.min(best[i], await measure(t.name, t.fn));
  }
  return best;
}

interface Layer {
  /** Input size and channels. */
  size: number;
  cin: number;
  cout: number;
  stride: number;
  /** How many times ResNet-18 runs it. */
  count: number;
}

const LAYERS: Layer[] = [
  { size: 128, cin: 64, cout: 64, stride: 1, count: 4 },
  { size: 128, cin: 64, cout: 128, stride: 2, count: 1 },
  { size: 64, cin: 128, cout: 128, stride: 1, count: 3 },
  { size: 64, cin: 128, cout: 256, stride: 2, count: 1 },
  { size: 32, cin: 256, cout: 256, stride: 1, count: 3 },
  { size: 32, cin: 256, cout: 512, stride: 2, count: 1 },
  { size: 16, cin: 512, cout: 512, stride: 1, count: 3 },
];

interface Int8Runners {
  /** quantise + int8 conv */
  int8: () => void;
  /** int8 conv alone (the quantise pass fused into the previous layer, phase 2) */
  conv: () => void;
  quantize: () => void;
  free: () => void;
}

const W_SEED = 1;
const X_RANGE = 4;

function fp32Runner(k: Kernels, l: Layer) {
  const wShape = [3, 3, l.cin, l.cout];
  const xShape = [1, l.size, l.size, l.cin];
  const opts = { pad: 1, stride: l.stride, activation: 'relu' as const };
  // the plan's choice: Winograd for the stride-1 layers
  const packed = packConv2d(k, randomF32(9 * l.cin * l.cout, W_SEED, -0.1, 0.1), wShape, { bias: randomF32(l.cout, 2), layout: l.stride === 1 ? 'winograd' : 'gemm' });
  const outShape = conv2dOutputShape(xShape, packed, opts);
  const x = k.heap.allocF32(randomF32(l.size * l.size * l.cin, 3, 0, X_RANGE));
  const out = k.heap.alloc(outShape.reduce((a, b) => a * b, 1) * 4);
  return {
    run: () => conv2dInto(k, packed, x, xShape, out, opts),
    free: () => {
      packed.release();
      [x, out].forEach((p) => k.heap.release(p));
    },
  };
}

function int8Runners(k: Int8Kernels, l: Layer, { layout, winograd }: Int8Kind): Int8Runners {
  const wShape = [3, 3, l.cin, l.cout];
  const w = randomF32(9 * l.cin * l.cout, W_SEED, -0.1, 0.1);
  const xShape = [1, l.size, l.size, l.cin];
  const opts = { pad: 1, stride: l.stride, activation: 'relu' as const };
  // post-ReLU activations: unsigned codes (0..255 as i16 for c2, 0..127 bytes for c4)
  const quant = activationQuant(0, X_RANGE, layout === 'c4');
  const packed = packConv2dInt8(k, quantizeConvWeights(w, wShape), wShape, { bias: randomF32(l.cout, 2), layout, winograd: winograd && l.stride === 1 });
  const x = k.heap.allocF32(randomF32(l.size * l.size * l.cin, 3, 0, X_RANGE));
  const codes = k.heap.alloc(int8ActivationBytes(xShape, quant));
  const oh = l.size / l.stride;
  const out = k.heap.alloc(oh * oh * l.cout * 4);
  quantizeActivationsInto(k, x, xShape, quant, codes);
  return {
    int8: () => {
      quantizeActivationsInto(k, x, xShape, quant, codes);
      conv2dInt8Into(k, packed, codes, xShape, quant, out, opts);
    },
    conv: () => conv2dInt8Into(k, packed, codes, xShape, quant, out, opts),
    quantize: () => quantizeActivationsInto(k, x, xShape, quant, codes),
    free: () => {
      packed.release();
      [x, codes, out].forEach((p) => k.heap.release(p));
    },
  };
}

/** What each build runs: c2 direct and Winograd everywhere, c4 where the relaxed dot product exists. */
function kindsOf(k: Int8Kernels): Int8Kind[] {
  const c2: Int8Kind[] = [{ layout: 'c2', winograd: true }, { layout: 'c2', winograd: false }];
  return k.variant === 'relaxed' ? [...c2, { layout: 'c4', winograd: false }] : c2;
}

const fmt = (v: number, d = 2) => v.toFixed(d);

export async function run(): Promise<void> {
  const builds: Kernels[] = [await init({ variant: 'simd' })];
  if (relaxedSimdSupported()) builds.push(await init({ variant: 'relaxed' }));
  else console.log('relaxed SIMD is not enabled in this engine: only the SIMD128 build is measured (Node 20: node --experimental-wasm-relaxed-simd --import tsx bench/run.ts int8).');

  const rows: Record<string, string>[] = [];
  const int8Builds = await Promise.all(builds.map((k) => loadInt8Kernels(k)));
  const combos = int8Builds.flatMap((k) => kindsOf(k).map((kind) => ({ k, kind, name: `${k.variant} ${kindName(kind)}` })));
  const totals = new Map<string, { fp32: number; int8: number; conv: number }>();
  for (const { name } of combos) totals.set(name, { fp32: 0, int8: 0, conv: 0 });
  for (const l of LAYERS) {
    const fp32 = builds.map((k) => fp32Runner(k, l));
    const int8 = combos.map(({ k, kind }) => int8Runners(k, l, kind));
    const ms = await fastest([
      ...builds.map((k, i) => ({ name: `${k.variant} fp32`, fn: fp32[i].run })),
      ...combos.flatMap(({ name }, i) => [
        { name: `${name} int8`, fn: int8[i].int8 },
        { name: `${name} conv`, fn: int8[i].conv },
        { name: `${name} quantise`, fn: int8[i].quantize },
      ]),
    ]);
    [...fp32, ...int8].forEach((r) => r.free());
    const oh = l.size / l.stride;
    const gmacs = (oh * oh * l.cout * 9 * l.cin) / 1e9;
    for (const [i, { k, kind, name }] of combos.entries()) {
      const fp32Ms = ms[builds.indexOf(k.base)];
      const [int8Ms, convMs, quantizeMs] = ms.slice(builds.length + 3 * i, builds.length + 3 * i + 3);
      const t = totals.get(name)!;
      t.fp32 += l.count * fp32Ms;
      t.int8 += l.count * int8Ms;
      t.conv += l.count * convMs;
      rows.push({
        layer: `3x3${l.stride === 2 ? ' s2' : ''} ${l.size}x${l.size}x${l.cin} -> ${l.cout}`,
        build: k.variant,
        int8: kindName({ ...kind, winograd: kind.winograd && l.stride === 1 }),
        'fp32 ms': fmt(fp32Ms),
        'int8 ms (quantise + conv)': fmt(int8Ms),
        'int8 conv ms': fmt(convMs),
        'quantise ms': fmt(quantizeMs, 3),
        'int8 / fp32 speed-up': `${fmt(fp32Ms / int8Ms)}x`,
        'conv only': `${fmt(fp32Ms / convMs)}x`,
        'int8 GMAC/s': fmt(gmacs / (convMs / 1e3), 1),
        'fp32 GMAC/s': fmt(gmacs / (fp32Ms / 1e3), 1),
      });
    }
  }
  console.table(rows);
  for (const [name, t] of totals) {
    console.log(
      `backbone 3x3 convs (${name}): fp32 ${fmt(t.fp32, 1)} ms, int8 ${fmt(t.int8, 1)} ms (${fmt(t.fp32 / t.int8)}x), ` +
        `int8 without the quantise pass ${fmt(t.conv, 1)} ms (${fmt(t.fp32 / t.conv)}x); ` +
        `goal on the whole model ${name.startsWith('relaxed') ? '>= 1.8x' : '>= 1.5x'}`,
    );
  }
}
