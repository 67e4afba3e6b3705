// The calibration cache end to end: fresh processes of the package's Node entry (dist/bundle/, which
// registers the cache: runtime/entries/calibration-on-disk.ts) on an engine with relaxed SIMD (Node 20 with
// --experimental-wasm-relaxed-simd, as scripts/test.mjs runs it) measure and add a sample each, and
// once the folder holds SAMPLES of them take the median's build without measuring. The samples this
// test adds by hand (9.0: SIMD128 far ahead; 0.1: relaxed far ahead) are ratios no machine measures,
// so the build a process takes shows whether it read them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLES } from '../../runtime/wasm/calibration-cache.js';
import { devBinary } from './install.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = pathToFileURL(path.join(ROOT, 'dist', 'bundle', 'index.js')).href;
const RELAXED_FLAG = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
const root = mkdtempSync(path.join(tmpdir(), 'anchorless-calibration-e2e-'));
const home = path.join(root, 'home');

const CHILD = `const { init } = await import(process.argv[1]); const k = await init(JSON.parse(process.argv[2])); console.log(k.variant);`;

/** A fresh process's init() build, with ANCHORLESS_CACHE_DIR `cacheDir` (undefined: unset) and HOME in the test's folder. */
function initIn(cacheDir: string | undefined, opts: object = {}): string {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.XDG_CACHE_HOME;
  delete env.ANCHORLESS_CACHE_DIR;
  if (cacheDir !== undefined) env.ANCHORLESS_CACHE_DIR = cacheDir;
  const r = spawnSync(process.execPath, [...RELAXED_FLAG, '--input-type=module', '-e', CHILD, BUNDLE, JSON.stringify(opts)], { encoding: 'utf8', env, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`init in a fresh process failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The one key folder under `cacheDir`/calibration, and the sample names in it. */
function samplesIn(cacheDir: string): { dir: string; names: string[] } {
  const keys = readdirSync(path.join(cacheDir, 'calibration'));
  assert.is(keys.length, 1, `one key folder: ${keys.join(' ')}`);
  const dir = path.join(cacheDir, 'calibration', keys[0]!);
  return { dir, names: readdirSync(dir) };
}

function addSamples(dir: string, ratio: number, n: number): void {
  for (let i = 0; i < n; i++) writeFileSync(path.join(dir, `${ratio.toFixed(6)}-1-${i}-byhand.json`), '{}');
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test(`a fresh process measures and adds a sample; with ${SAMPLES} samples it takes their median's build and adds none`, () => {
  const cache = path.join(root, 'cache');
  const variant = initIn(cache);
  const first = samplesIn(cache);
  assert.is(first.names.length, 1, `one sample: ${first.names.join(' ')}`);
  const measured = Number(first.names[0]!.split('-')[0]);
  assert.ok(measured > 0, first.names[0]);
  assert.is(variant, measured < 0.97 ? 'relaxed' : 'simd', `the build of the ratio it measured (${measured})`);

  addSamples(first.dir, 9, SAMPLES - 1);
  assert.is(initIn(cache), 'simd', 'the median of the samples (9.0): SIMD128');
  assert.is(readdirSync(first.dir).length, SAMPLES, 'nothing added once answered');

  for (const name of readdirSync(first.dir)) rmSync(path.join(first.dir, name));
  addSamples(first.dir, 0.1, SAMPLES);
  assert.is(initIn(cache), 'relaxed', 'the median of the samples (0.1): relaxed');
  assert.is(readdirSync(first.dir).length, SAMPLES);
});

test('the default folder is ~/.cache/anchorless; ANCHORLESS_CACHE_DIR set empty or calibrationCache: false write nothing', () => {
  initIn(undefined);
  assert.ok(existsSync(path.join(home, '.cache', 'anchorless', 'calibration')), 'a sample under HOME/.cache/anchorless');
  rmSync(home, { recursive: true, force: true });
  initIn('');
  assert.not.ok(existsSync(home), 'ANCHORLESS_CACHE_DIR="": nothing written');
  const off = path.join(root, 'off');
  initIn(off, { calibrationCache: false });
  assert.not.ok(existsSync(off), 'calibrationCache: false: nothing written');
  const given = path.join(root, 'given');
  initIn(off, { calibrationCache: given });
  assert.not.ok(existsSync(off), 'calibrationCache: DIR wins over ANCHORLESS_CACHE_DIR');
  assert.is(samplesIn(given).names.length, 1);
});

test('the `anchorless` command (tsc\'s dist/runtime/cli.js, as the README runs it) keeps its calibration there too', () => {
  const cache = path.join(root, 'cli');
  const r = spawnSync(process.execPath, [...RELAXED_FLAG, path.join(ROOT, 'dist', 'runtime', 'cli.js'), 'detect', '--json'], { encoding: 'utf8', env: { ...process.env, ANCHORLESS_CACHE_DIR: cache }, timeout: 120_000, cwd: ROOT });
  assert.is(r.status, 0, r.stderr);
  assert.is(samplesIn(cache).names.length, 1);
});

test('Deno (relaxed SIMD on): a sample with env, sys (cpus), read and write granted; without them none, and no prompt', () => {
  // a script file (deno eval grants every permission)
  const script = path.join(root, 'deno-init.mjs');
  writeFileSync(script, `const { init } = await import(${JSON.stringify(BUNDLE)}); const k = await init(); console.log(k.variant);\n`);
  const deno = (cacheDir: string, permissions: string[]) => {
    const r = spawnSync(devBinary('deno'), ['run', ...permissions, '--no-prompt', script], { encoding: 'utf8', env: { ...process.env, ANCHORLESS_CACHE_DIR: cacheDir, DENO_NO_UPDATE_CHECK: '1' }, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.is(r.status, 0, r.stderr);
    assert.ok(['simd', 'relaxed'].includes(r.stdout.trim()), r.stdout);
  };
  const granted = path.join(root, 'deno');
  deno(granted, ['--allow-read', '--allow-write', '--allow-env', '--allow-sys=cpus']);
  assert.is(samplesIn(granted).names.length, 1);
  const readOnly = path.join(root, 'deno-read-only');
  deno(readOnly, ['--allow-read']);
  assert.not.ok(existsSync(readOnly), 'only --allow-read: nothing written');
});

test.run();
