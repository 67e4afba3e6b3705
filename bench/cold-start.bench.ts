// Cold start: import + init + create + the first detect() of the default model in a fresh Node
// process, median of 10 processes, each phase timed alone. The runtime is transpiled once to
// JavaScript (esbuild, no bundling: tsc's files, as the browser entry has them), and also bundled
// the way the package's Node, Deno and Bun entries are (scripts/build-bundle.mjs); the two entries
// alternate process by process. The kernels and the default model lie beside them, and no
// TypeScript loader is timed. The sample image is decoded beforehand and handed over as raw pixels
// (its PNG decode is the caller's, not the detector's). Goal: <= 100 ms.
// BENCH_COLD_BASELINE=DIR adds a third column: another built checkout's dist/bundle/ (an earlier
// commit, say: `git worktree add DIR COMMIT`, then its `npm run build`), alternating with these, so
// that a change is measured against its baseline in the same minutes rather than another hour's.
// A fourth column runs the bundle with `create({ winograd: 'after-first-run' })` (the Winograd
// packing moved to the second detection). Where the engine has relaxed SIMD, init() calibrates the
// two kernel builds unless this machine's calibration cache answers (runtime/wasm/calibration-cache.ts):
// the children share a cache folder of the bench's own, filled by warm-up processes first (as on a
// machine where anchorless has run before), and a fifth column runs without it (each process measures).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { loadAverage } from './load-average.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { decodePng } from '../runtime/image/png.js';
import { SAMPLES as CALIBRATION_SAMPLES } from '../runtime/wasm/calibration-cache.js';
import { readFile } from 'node:fs/promises';
// @ts-expect-error: a plain .mjs build script, no types
import { bundleDist } from '../scripts/build-bundle.mjs';

const PROCESSES = Number(process.env.BENCH_COLD_PROCESSES ?? 10);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const CHILD = `
const [entry, imageFile, width, height, channels, options] = process.argv.slice(1);
const { readFileSync } = await import('node:fs');
const data = new Uint8Array(readFileSync(imageFile));
const t0 = performance.now();
const { init, ObjectDetector } = await import(entry);
const t1 = performance.now();
await init();
const t2 = performance.now();
const det = await ObjectDetector.create(JSON.parse(options));
const t3 = performance.now();
const found = await det.detect({ data, width: Number(width), height: Number(height), channels: Number(channels) });
const t4 = performance.now();
console.log(JSON.stringify({ import: t1 - t0, init: t2 - t1, create: t3 - t2, detect: t4 - t3, total: t4 - t0, found: found.length }));
`;

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'anchorless-cold-'));
  try {
    // the trainer too: the bundle is built with all the package's entries, as it ships (their shared chunks decide the index's files)
    for (const part of ['runtime', 'trainer']) {
      await build({ entryPoints: await tsFiles(path.join(root, part)), outdir: path.join(dir, part), outbase: path.join(root, part), format: 'esm', platform: 'neutral', logLevel: 'error' });
    }
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    for (const f of (await readdir(path.join(root, 'runtime', 'wasm'))).filter((n) => n.endsWith('.wasm'))) {
      await copyFile(path.join(root, 'runtime', 'wasm', f), path.join(dir, 'runtime', 'wasm', f));
    }
    await mkdir(path.join(dir, 'models'));
    await copyFile(path.join(root, 'models', 'centernet-tiny-synth.safetensors'), path.join(dir, 'models', 'centernet-tiny-synth.safetensors'));
    const png = await decodePng(new Uint8Array(await readFile(path.join(root, 'models', 'sample.png'))));
    const imageFile = path.join(dir, 'sample.raw');
    await writeFile(imageFile, png.data);
    await bundleDist(dir, path.join(dir, 'bundle'));
    const bundleIndex = path.join(dir, 'bundle', 'index.js');
    const entries: Record<string, string> = { files: path.join(dir, 'runtime', 'index.js'), bundle: bundleIndex, late: bundleIndex, uncached: bundleIndex };
    const createOptions = (kind: string) => JSON.stringify(kind === 'late' ? { winograd: 'after-first-run' } : {});
    const baseline = process.env.BENCH_COLD_BASELINE;
    if (baseline !== undefined) {
      const entry = path.resolve(baseline, 'dist', 'bundle', 'index.js');
      if (!existsSync(entry)) throw new Error(`BENCH_COLD_BASELINE: ${entry} does not exist (build that checkout first: npm run build)`);
      entries.baseline = entry;
    }
    const runs: Record<string, Record<string, number>[]> = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
    const cacheDir = path.join(dir, 'cache');
    const child = (kind: string, file: string) => {
      const env = { ...process.env, ANCHORLESS_CACHE_DIR: kind === 'uncached' ? '' : cacheDir };
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, new URL(`file://${file}`).href, imageFile, String(png.width), String(png.height), String(png.channels), createOptions(kind)], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`cold start (${kind}): the child failed: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, number>;
    };
    // warm-up, not timed: the calibration cache's samples (where the engine calibrates) and the OS's file cache
    for (let i = 0; i < CALIBRATION_SAMPLES; i++) child('bundle', bundleIndex);
    for (let i = 0; i < PROCESSES; i++) {
      for (const [kind, file] of Object.entries(entries)) runs[kind].push(child(kind, file));
    }
    const median = (kind: string, key: string) => runs[kind].map((r) => r[key]).sort((a, b) => a - b)[runs[kind].length >> 1];
    console.log(`cold start of the default model (${png.width}x${png.height} sample), median of ${PROCESSES} fresh Node ${process.versions.node} processes per entry, alternating; load average ${loadAverage()} on ${os.availableParallelism()} cores; goal: total <= 100 ms`);
    console.table(['import', 'init', 'create', 'detect', 'total'].map((phase) => ({
      phase,
      'tsc files p50 ms': median('files', phase).toFixed(1),
      'bundle p50 ms': median('bundle', phase).toFixed(1),
      "bundle, winograd 'after-first-run' p50 ms": median('late', phase).toFixed(1),
      'bundle, no calibration cache p50 ms': median('uncached', phase).toFixed(1),
      ...(entries.baseline ? { 'baseline bundle p50 ms': median('baseline', phase).toFixed(1) } : {}),
    })));
    if (entries.baseline) console.log(`baseline: ${entries.baseline}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
