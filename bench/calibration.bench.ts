// init()'s choice between the SIMD128 and relaxed-SIMD builds (runtime/wasm/calibrate.ts) next to
// a long measurement of the same two builds on ResNet-sized 3x3 convs (56x56, 64 -> 64 channels),
// interleaved, after warm-up: does the short calibration pick the build that is faster here?
// Needs relaxed SIMD in the engine (Node 20: --experimental-wasm-relaxed-simd).
import os from 'node:os';
import { loadAverage } from './load-average.js';
import { calibration } from '../runtime/wasm/calibrate.js';
import { relaxedSimdSupported } from '../runtime/wasm/features.js';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { conv2dInto, packConv2d } from '../runtime/ops/conv-packed.js';
import { randomF32 } from '../test/helpers/random.js';

const [SIDE, C] = [56, 64];

export async function run(): Promise<void> {
  if (!relaxedSimdSupported()) {
    console.log('calibration: relaxed SIMD is off in this engine (Node 20: --experimental-wasm-relaxed-simd): init() loads the SIMD128 build without calibrating');
    return;
  }
  const t = performance.now();
  const chosen = await init();
  const initMs = performance.now() - t;
  const picked = await calibration();
  const builds: Kernels[] = [await init({ variant: 'simd' }), await init({ variant: 'relaxed' })];
  const probes = builds.map((kn) => {
    const packed = packConv2d(kn, randomF32(9 * C * C, 1), [3, 3, C, C]);
    const x = kn.heap.allocF32(randomF32(SIDE * SIDE * C, 2));
    const out = kn.heap.alloc(SIDE * SIDE * C * 4);
    return () => conv2dInto(kn, packed, x, [1, SIDE, SIDE, C], out, { pad: 1 });
  });
  const times = [[], []] as number[][];
  for (let r = 0; r < 40; r++) {
    for (const i of r % 2 ? [0, 1] : [1, 0]) {
      const s = performance.now();
      probes[i]();
      if (r >= 10) times[i].push(performance.now() - s);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const ratio = median(times[1]) / median(times[0]);
  console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadAverage()}`);
  console.table([
    { measurement: `init() calibration (${initMs.toFixed(1)} ms in init)`, 'relaxed / SIMD128 time': picked?.ratio.toFixed(3), picks: chosen.variant },
    { measurement: `3x3 conv ${SIDE}x${SIDE}x${C}, median of 30 interleaved`, 'relaxed / SIMD128 time': ratio.toFixed(3), picks: ratio < 1 ? 'relaxed' : 'simd' },
  ]);
}
