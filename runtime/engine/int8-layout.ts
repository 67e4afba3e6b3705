// Which int8 layout the execution plan runs non-negative activations in, per engine and machine.
// 'c2' (i16 codes, dot_i16x8_s, 3x3 stride-1 layers as exact integer Winograd) is plain SIMD128 and
// exact everywhere. 'c4' (7-bit byte codes, i32x4.relaxed_dot_i8x16_i7x16_add_s, direct) pays only
// where the engine runs that instruction as one machine instruction: measured here (AMD Zen 5,
// AVX-VNNI), Deno 2.9's V8 15 runs centernet-resnet18's backbone 3x3 convs 2.35x faster than f32 in
// c4 against 1.64x in c2 Winograd, while Node 20's V8 11.3 (pmaddubsw + pmaddwd + two constant
// instructions per dot) runs c4 at 1.02x. And Node 20's baseline compiler (Liftoff) computes the
// instruction wrongly (its operands swapped: every result differs), so a c4 kernel's outputs there
// would change when it tiers up.
// So on the relaxed build the choice is measured once per kernels: the c4 direct conv and the c2
// Winograd conv of one small 3x3 layer must agree bit for bit (the same integer sums and epilogue by
// construction; a wrong relaxed dot breaks it) before and after they are timed, and c4 is taken only
// where its time on that layer stays within MARGIN of c2's (the whole model gains more than the
// probe layer does). About 25-45 ms, only for an int8 model on a relaxed int8 build
// (the single-threaded one, or the worker pool's where the engine has relaxed SIMD); the SIMD128
// builds (where c4 is an exact but slower emulation) take 'c2' without a probe. A compiler tier that
// the probe never reached is not checked: no engine is known to get the instruction wrong once
// optimised.
import { conv2dInt8Into, int8WinogradFits, packConv2dInt8, type Int8ConvLayout, type PackedConv2dInt8 } from '../ops/conv-int8.js';
import { withScope } from '../ops/heap-scope.js';
import type { Int8Kernels } from '../wasm/int8-loader.js';

export interface Int8LayoutChoice {
  /** The layout of the plan's int8 layers whose input is non-negative ('u8' codes become 'u7' in 'c4'). */
  readonly layout: Int8ConvLayout;
  /** Why, in a few words (for logs and benchmarks). */
  readonly reason: string;
  /** Whether the engine's relaxed dot product gave the exact sums, where it was probed (the relaxed build). */
  readonly exactDot?: boolean;
  /** c4 time / c2 Winograd time on the probe layer, where they were timed. */
  readonly ratio?: number;
}

/**
 * c4 is taken below this ratio to c2 Winograd on the probe layer. That layer is c4's worst case (a
 * 3x3 stride-1 conv, which c2 runs as Winograd; strided convs and transposed convs have no Winograd
 * and gain more in c4), so a whole model gains more than the probe shows, and c4 may be somewhat
 * slower on the probe and still win. Since the Winograd planes' skew (winograd.ts, 2026-12-05) made
 * c2 Winograd ~15% faster on this 64-channel layer, the probe gives Node 24 0.79-0.98 and Deno 2.9
 * 0.85-0.97 (fresh processes), while centernet-resnet18's int8 plan steps run c4 at 0.82x (Node 24:
 * 217 against 266 ms) and 0.78x (Deno: 260 against 334 ms) of c2's time: at the earlier margin of
 * 0.95 half the processes took c2 and ran the model ~20% slower. Engines that emulate the relaxed
 * dot product stay far above 1.05: Node 22 2.45 and Node 24 with V8's --no-enable-avx-vnni (as on a
 * CPU without AVX-VNNI) 2.59 since the skew (1.78-1.81 and 2.15-2.30 before it), Node 20 (flags,
 * optimising tier only) 1.74-1.79 before it.
 */
const MARGIN = 1.05;
/** The probe: 3x3, stride 1, 16x16 pixels, 64 -> 64 channels (9.4 M products). */
const [SIDE, C] = [16, 64];
/** Rounds and calls per round: with 7 x 2 calls and the later rounds' median, Node 24's ratio ranged 0.75-1.03 over fresh processes; with 9 x 4 and their minimum, 0.83-0.86. */
const ROUNDS = 9;
const CALLS_PER_ROUND = 4;

const chosen = new WeakMap<Int8Kernels, Int8LayoutChoice>();

/** The layout for `k8`'s plans (measured on the first call per kernels, then cached). */
export function int8LayoutFor(k8: Int8Kernels): Int8LayoutChoice {
  let choice = chosen.get(k8);
  if (!choice) {
    choice = k8.variant !== 'relaxed' ? { layout: 'c2', reason: "the SIMD128 build: no relaxed dot product" } : measure(k8);
    chosen.set(k8, choice);
  }
  return choice;
}

function measure(k8: Int8Kernels): Int8LayoutChoice {
  const k = k8.base;
  // deterministic codes: activations over all of 0..127, weights over -127..127 (both signs)
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
  const pixels = SIDE * SIDE * C;
  const x7 = Uint8Array.from({ length: pixels }, () => next() % 128);
  const weights = { codes: Int8Array.from({ length: 9 * C * C }, () => (next() % 255) - 127), scales: Float32Array.from({ length: C }, (_, c) => 2 ** -12 * (1 + c / C)) };
  const shape = [3, 3, C, C];
  if (!int8WinogradFits(3, 3, C, C)) throw new Error('int8LayoutFor: the probe layer does not fit the Winograd kernel (a bug)');
  const packed: PackedConv2dInt8[] = [];
  try {
    packed.push(packConv2dInt8(k8, weights, shape, { layout: 'c4' }), packConv2dInt8(k8, weights, shape, { winograd: true }));
    return withScope(k, (scope) => {
      const codes4 = scope.alloc(pixels);
      const codes2 = scope.alloc(pixels * 2);
      k.heap.u8(codes4, pixels).set(x7);
      new Int16Array(k.exports.memory.buffer, codes2, pixels).set(x7);
      const outs = [scope.alloc(pixels * 4), scope.alloc(pixels * 4)];
      const xShape = [1, SIDE, SIDE, C];
      const runs = [
        () => conv2dInt8Into(k8, packed[0], codes4, xShape, { scale: 1 / 64, codes: 'u7' }, outs[0], { pad: 1 }),
        () => conv2dInt8Into(k8, packed[1], codes2, xShape, { scale: 1 / 64, codes: 'u8' }, outs[1], { pad: 1 }),
      ];
      const agree = () => {
        const [a, b] = outs.map((p) => new Int32Array(k.exports.memory.buffer, p, pixels));
        return a.every((v, i) => v === b[i]);
      };
      for (const run of runs) run();
      if (!agree()) return { layout: 'c2' as const, reason: 'this engine computes the relaxed dot product wrongly in its first compiler tier', exactDot: false };
      const times: number[][] = [[], []];
      // the worker pool's kernels time on the calling thread alone: split, the small probe layer
      // measures the split's cost more than the kernels (c4 at ~1.1x c2 there, 0.78x on the whole
      // model on 2 threads); the checks before and after run split, the helpers' code included
      const timed = <T>(fn: () => T): T => (k.pool ? k.pool.alone(fn) : fn());
      timed(() => {
        for (let r = 0; r < ROUNDS; r++) {
          // alternate which goes first: a frequency step or another process hits both alike
          for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
            const t = performance.now();
            for (let c = 0; c < CALLS_PER_ROUND; c++) runs[i]();
            times[i].push(performance.now() - t);
          }
        }
      });
      for (const run of runs) run();
      if (!agree()) return { layout: 'c2' as const, reason: 'this engine computes the relaxed dot product wrongly once optimised', exactDot: false };
      // the later rounds' fastest: by then the hot functions have left the baseline compiler, and the
      // fastest round is the one that measures the kernel rather than the other work on the CPU
      const late = (xs: number[]) => Math.min(...xs.slice(ROUNDS >> 1));
      const ratio = late(times[0]) / late(times[1]);
      return ratio < MARGIN
        ? { layout: 'c4' as const, reason: `c4 direct at ${ratio.toFixed(2)}x the time of c2 Winograd`, exactDot: true, ratio }
        : { layout: 'c2' as const, reason: `c4 direct not faster here (${ratio.toFixed(2)}x the time of c2 Winograd)`, exactDot: true, ratio };
    });
  } finally {
    for (const p of packed) p.release();
  }
}
