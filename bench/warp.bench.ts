// The detector's preprocessing warp (image -> normalised network input): the JavaScript spec
// (runtime/image/warp.ts) against the wasm kernel (runtime/wasm/warp.ts), both warm (the fastest of
// tinybench's samples) and cold (the first call in a fresh Node process, where the JavaScript loop
// has not been compiled yet: what a first detect() pays). Same values to the bit (test/ops/warp.test.ts).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { warpNormalise, type Normalisation } from '../runtime/image/warp.js';
import { centerNetTransform } from '../runtime/image/transform.js';
import type { ImageSource } from '../runtime/image/source.js';
import { init } from '../runtime/wasm/loader.js';
import { wasmWarper } from '../runtime/wasm/warp.js';

const COLD_PROCESSES = 5;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NORM: Normalisation = { mean: [0.408, 0.447, 0.47], std: [0.289, 0.274, 0.278], channelOrder: 'rgb' };
const CASES = [
  { name: '320x320 -> 128x128 (the sample into the default model)', w: 320, h: 320, inW: 128, inH: 128 },
  { name: '320x320 -> 320x320', w: 320, h: 320, inW: 320, inH: 320 },
  { name: '1280x720 RGB -> 512x512', w: 1280, h: 720, inW: 512, inH: 512 },
];

function image(w: number, h: number, channels: 3 | 4): ImageSource {
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { data, width: w, height: h, channels };
}

// One cold call per process: the case index and 'spec' | 'wasm' in argv; prints its milliseconds.
const CHILD = `
const [root, which, w, h, inW, inH] = process.argv.slice(1);
const { warpNormalise } = await import(root + '/runtime/image/warp.ts');
const { centerNetTransform } = await import(root + '/runtime/image/transform.ts');
const { init } = await import(root + '/runtime/wasm/loader.ts');
const { wasmWarper } = await import(root + '/runtime/wasm/warp.ts');
const kn = await init({ variant: 'simd' });
const warper = which === 'wasm' ? wasmWarper(kn) : undefined;
const data = new Uint8Array(+w * +h * 3).map((_, i) => (i * 2654435761) >>> 24);
const t = centerNetTransform(+w, +h, +inW, +inH);
const norm = { mean: [0.408, 0.447, 0.47], std: [0.289, 0.274, 0.278], channelOrder: 'rgb' };
const t0 = performance.now();
warpNormalise({ data, width: +w, height: +h, channels: 3 }, t, norm, undefined, warper);
console.log(performance.now() - t0);
`;

function coldMs(which: 'spec' | 'wasm', c: (typeof CASES)[number]): number {
  const runs: number[] = [];
  for (let i = 0; i < COLD_PROCESSES; i++) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, root, which, String(c.w), String(c.h), String(c.inW), String(c.inH)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`warp bench: the cold child failed: ${r.stderr}`);
    runs.push(Number(r.stdout.trim()));
  }
  return runs.sort((a, b) => a - b)[runs.length >> 1];
}

export async function run(): Promise<void> {
  const kn = await init({ variant: 'simd' });
  const warper = wasmWarper(kn);
  const rows: Record<string, string>[] = [];
  for (const c of CASES) {
    const src = image(c.w, c.h, 3);
    const t = centerNetTransform(c.w, c.h, c.inW, c.inH);
    const out = new Float32Array(c.inW * c.inH * 3);
    const bench = new Bench({ time: 400, warmupIterations: 5 });
    bench.add('spec', () => warpNormalise(src, t, NORM, out));
    bench.add('wasm', () => warpNormalise(src, t, NORM, out, warper));
    await bench.run();
    const [spec, wasm] = bench.tasks.map((task) => {
      const r = task.result;
      if (!('latency' in r)) throw new Error(`warp bench: ${task.name} did not complete`);
      return r.latency.min;
    });
    const [specCold, wasmCold] = [coldMs('spec', c), coldMs('wasm', c)];
    rows.push({ case: c.name, 'spec warm ms': spec.toFixed(2), 'wasm warm ms': wasm.toFixed(2), 'warm speed-up': `${(spec / wasm).toFixed(1)}x`, 'spec cold ms': specCold.toFixed(1), 'wasm cold ms': wasmCold.toFixed(1) });
  }
  console.log(`preprocessing warp, warm: fastest sample; cold: median of ${COLD_PROCESSES} fresh processes' first call (RGB)`);
  console.table(rows);
}
