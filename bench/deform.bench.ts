// Deformable convolution (DCNv2) against the plain 3x3 conv of the same shape, side by side, on each
// kernel build: the 3x3 DCN layers of CenterNet's ResNet-18 neck at a 512x512 input (16x16x512 ->
// 256, 32x32x256 -> 128, 64x64x128 -> 64). In the model a DCN layer is two ops: the plain
// conv_offset_mask conv (cin -> 27) and the deform op; both are reported, the op alone and the pair.
// Kernel time only: activations and packed weights already live on the kernel heap, as in the plan.
// Goal (issue 8): the DCN layer costs at most 2x the plain 3x3 conv.
import { relaxedSimdSupported } from '../runtime/wasm/features.js';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { conv2dInto, packConv2d } from '../runtime/ops/conv-packed.js';
import { deformConv2dInto, packDeformConv2d } from '../runtime/ops/deform-conv.js';
import { randomF32 } from '../test/helpers/random.js';

/**
 * Milliseconds of this process' CPU time per call, the least over REPS calls. CPU time rather than
 * wall time: the kernels are single-threaded, and on a shared machine the time slices other processes
 * take would otherwise dominate (measured here at a load of 12 on 2 cores: wall-clock minima varied 3x
 * between runs, CPU-time minima by about 5%).
 */
function cpuMs(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

const REPS = 25;
const WARMUP = 2;

/** The fastest of REPS calls per task, interleaved call by call so that a burst of load hits every task alike. */
function fastest(tasks: (() => void)[]): number[] {
  for (const fn of tasks) for (let i = 0; i < WARMUP; i++) fn();
  const best = tasks.map(() => Infinity);
  for (let r = 0; r < REPS; r++) {
    for (const [i, fn] of tasks.entries()) best[i] = Math.min(best[i], cpuMs(fn));
  }
  return best;
}

interface Layer {
  size: number;
  cin: number;
  cout: number;
}

const NECK: Layer[] = [
  { size: 16, cin: 512, cout: 256 },
  { size: 32, cin: 256, cout: 128 },
  { size: 64, cin: 128, cout: 64 },
];

/** Offsets of a trained DCN are a few pixels: uniform in [-2, 2); mask logits in [-3, 3). */
function offsetMask(pixels: number): Float32Array {
  const om = new Float32Array(pixels * 27);
  const offs = randomF32(pixels * 18, 11, -2, 2);
  const logits = randomF32(pixels * 9, 12, -3, 3);
  for (let p = 0; p < pixels; p++) {
    om.set(offs.subarray(p * 18, p * 18 + 18), p * 27);
    om.set(logits.subarray(p * 9, p * 9 + 9), p * 27 + 18);
  }
  return om;
}

/** The three runners of one layer on one build over shared heap buffers, and a cleanup. */
function layer(k: Kernels, l: Layer) {
  const { size, cin, cout } = l;
  const pixels = size * size;
  const xShape = [1, size, size, cin];
  const opts = { stride: 1, pad: 1, dilation: 1, activation: 'relu' as const };
  const w = randomF32(9 * cin * cout, 1);
  const bias = randomF32(cout, 2);
  const plain = packConv2d(k, w, [3, 3, cin, cout], { bias });
  const deform = packDeformConv2d(k, w, [3, 3, cin, cout], { bias });
  const offsetConv = packConv2d(k, randomF32(9 * cin * 27, 3, -0.01, 0.01), [3, 3, cin, 27], { bias: randomF32(27, 4) });
  const x = k.heap.allocF32(randomF32(pixels * cin, 5));
  const om = k.heap.allocF32(offsetMask(pixels));
  const out = k.heap.alloc(pixels * cout * 4);
  return {
    plain: () => conv2dInto(k, plain, x, xShape, out, { pad: 1, activation: 'relu' }),
    deform: () => deformConv2dInto(k, deform, x, xShape, om, out, opts),
    // the offset conv writes its own buffer: the deform op then reads what it wrote (values differ, cost does not)
    offsetConv: () => conv2dInto(k, offsetConv, x, xShape, om, { pad: 1 }),
    free: () => {
      [plain, deform, offsetConv].forEach((p) => p.release());
      [x, om, out].forEach((p) => k.heap.release(p));
    },
  };
}

const fmt = (v: number, d = 2) => v.toFixed(d);

export async function run(): Promise<void> {
  const builds: Kernels[] = [await init({ variant: 'simd' })];
  if (relaxedSimdSupported()) builds.push(await init({ variant: 'relaxed' }));
  else console.log('relaxed SIMD is not enabled in this engine: only the SIMD128 build is measured (node --experimental-wasm-relaxed-simd for both).');

  const rows: Record<string, string>[] = [];
  let worst = 0;
  for (const l of NECK) {
    for (const k of builds) {
      const r = layer(k, l);
      const name = `${l.size}x${l.size}x${l.cin} -> ${l.cout}`;
      const [plainMs, deformMs, offsetMs] = fastest([r.plain, r.deform, r.offsetConv]);
      r.free();
      const flops = 2 * l.size * l.size * l.cin * l.cout * 9;
      const pair = deformMs + offsetMs;
      worst = Math.max(worst, pair / plainMs);
      rows.push({
        layer: `3x3 ${name}`,
        build: k.variant,
        'plain ms': fmt(plainMs),
        'plain GFLOP/s': fmt(flops / plainMs / 1e6, 1),
        'deform ms': fmt(deformMs),
        'offset conv ms': fmt(offsetMs),
        'deform / plain': `${fmt(deformMs / plainMs)}x`,
        '(deform + offset conv) / plain': `${fmt(pair / plainMs)}x`,
      });
    }
  }
  console.table(rows);
  console.log(`goal DCN layer (deform + offset conv) <= 2x the plain 3x3 conv: worst ${fmt(worst)}x -> ${worst <= 2 ? 'met' : 'NOT met'}`);
}
