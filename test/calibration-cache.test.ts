// init()'s calibration cache (runtime/wasm/calibration-cache.ts): where the folder is, what its
// samples are named, the median once there are enough, what it ignores, and that a cache that
// cannot be written is skipped without an error or a file left behind. The end-to-end check (a
// fresh process of the bundle reads the folder and takes its answer) is in
// test/runtimes/calibration-cache.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hash64, openCalibrationStore, SAMPLES, type CalibrationStore } from '../runtime/wasm/calibration-cache.js';
import { median } from '../runtime/util/median.js';
import { init } from '../runtime/wasm/loader.js';

const root = mkdtempSync(path.join(tmpdir(), 'anchorless-calibration-'));
const kernelsA = [new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 2, 3]), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 4, 5, 6])];
const kernelsB = [kernelsA[0]!, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 4, 5, 7])];

async function store(dir: string, kernels: readonly BufferSource[] = kernelsA): Promise<CalibrationStore> {
  const s = await openCalibrationStore(dir, kernels);
  assert.ok(s, `a store in ${dir}`);
  return s!;
}

/** Runs `fn` with these environment variables (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('samples: one file each, the ratio in its name; no answer below SAMPLES, then their median', async () => {
  const dir = path.join(root, 'samples');
  const s = await store(dir);
  assert.match(path.relative(dir, s.dir), /^calibration[\\/][0-9a-f]{16}$/);
  assert.equal(s.ratios(), []);
  assert.is(s.answer(), undefined);
  const ratios = [1.02, 0.81, 0.93, 2.5, 0.85];
  assert.is(SAMPLES, 5, 'the ratios below are five');
  for (const [i, r] of ratios.entries()) {
    assert.is(s.add(r), true);
    if (i < ratios.length - 1) assert.is(s.answer(), undefined, `${i + 1} samples: measure again`);
  }
  // sorted: 0.81 0.85 0.93 1.02 2.5
  assert.equal(s.answer(), { ratio: 0.93, samples: 5 });
  const names = readdirSync(s.dir);
  assert.is(names.length, 5, `no temporary file beside them: ${names.join(' ')}`);
  for (const name of names) {
    const ratio = Number(name.split('-')[0]);
    assert.ok(ratios.includes(ratio), `${name} names one of the ratios`);
    assert.is(JSON.parse(readFileSync(path.join(s.dir, name), 'utf8')).ratio, ratio, `${name} holds its ratio too`);
  }
});

test('median (runtime/util/median.ts): odd and even counts, unsorted input; no values is an Error', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([0.5, 2, 0.6, 2, 0.7]), 0.7);
  assert.is(median([5, 1, 3]), 3);
  assert.throws(() => median([]), /median: no values/);
});

test('what is not a sample is skipped: other names, hidden temporaries, unusable ratios', async () => {
  const s = await store(path.join(root, 'foreign'));
  mkdirSync(s.dir, { recursive: true });
  for (const name of ['notes.txt', 'abc.json', '0.5-x.json', '.0.500000-1-1-a.tmp', '0.000000-1-1-a.json', '1e5-1-1-a.json', 'Infinity-1-1-a.json']) writeFileSync(path.join(s.dir, name), '{"ratio":0.5}');
  assert.equal(s.ratios(), []);
  writeFileSync(path.join(s.dir, '0.750000-1-2-abc.json'), 'not even JSON: the name is what counts');
  assert.equal(s.ratios(), [0.75]);
  assert.is(s.add(Number.NaN), false);
  assert.is(s.add(-1), false);
  assert.is(s.add(0), false);
  assert.equal(s.ratios(), [0.75]);
});

test('the folder is named by the kernels: other binaries, another folder; the same, the same one', async () => {
  const a = await store(path.join(root, 'keys'), kernelsA);
  const again = await store(path.join(root, 'keys'), [new Uint8Array(kernelsA[0]!), new Uint8Array(kernelsA[1]!)]);
  const b = await store(path.join(root, 'keys'), kernelsB);
  assert.is(again.dir, a.dir);
  assert.is.not(b.dir, a.dir);
  // an ArrayBuffer and a view of the same bytes name the same folder
  const buffers = await store(path.join(root, 'keys'), kernelsA.map((k) => k.slice().buffer));
  assert.is(buffers.dir, a.dir);
});

test('no store: turned off, or kernels given compiled (no bytes to name them by)', async () => {
  assert.is(await openCalibrationStore(false, kernelsA), undefined);
  const module = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  assert.is(await openCalibrationStore(path.join(root, 'compiled'), [module, kernelsA[1]!]), undefined);
  await withEnv({ ANCHORLESS_CACHE_DIR: '' }, async () => assert.is(await openCalibrationStore(undefined, kernelsA), undefined, 'ANCHORLESS_CACHE_DIR set empty: off'));
});

test('the default folder: ANCHORLESS_CACHE_DIR, else XDG_CACHE_HOME/anchorless, else ~/.cache/anchorless', async () => {
  const inside = (s: CalibrationStore | undefined, dir: string) => assert.ok(s && s.dir.startsWith(dir + path.sep), `${s?.dir} is under ${dir}`);
  const env = path.join(root, 'env');
  await withEnv({ ANCHORLESS_CACHE_DIR: env, XDG_CACHE_HOME: path.join(root, 'xdg') }, async () => inside(await openCalibrationStore(undefined, kernelsA), env));
  await withEnv({ ANCHORLESS_CACHE_DIR: undefined, XDG_CACHE_HOME: path.join(root, 'xdg') }, async () => inside(await openCalibrationStore(undefined, kernelsA), path.join(root, 'xdg', 'anchorless')));
  if (process.platform !== 'win32') {
    await withEnv({ ANCHORLESS_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: path.join(root, 'home') }, async () => inside(await openCalibrationStore(undefined, kernelsA), path.join(root, 'home', '.cache', 'anchorless')));
    await withEnv({ ANCHORLESS_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: undefined }, async () => assert.is(await openCalibrationStore(undefined, kernelsA), undefined, 'no home folder: no cache'));
  }
  // nothing is written until a sample is added
  assert.equal(readdirSync(root).filter((n) => ['env', 'xdg', 'home'].includes(n)), []);
});

test('a folder that cannot be written: add() says false, throws nothing, leaves nothing', async () => {
  const file = path.join(root, 'a-file');
  writeFileSync(file, 'in the way');
  const s = await store(path.join(file, 'cache'));
  assert.is(s.add(0.9), false);
  assert.equal(s.ratios(), []);
  assert.is(s.answer(), undefined);
  assert.is(readFileSync(file, 'utf8'), 'in the way');
  assert.equal(readdirSync(root).filter((n) => n.startsWith('.')), []);
});

test('hash64: a change of any one byte, or of the length, changes the key', () => {
  const seed: [number, number] = [0x811c9dc5, 0x2545f491];
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, delta) => {
      const i = at % bytes.length;
      const changed = bytes.slice();
      changed[i] = (changed[i]! + delta) & 255;
      const [a, b] = [hash64(bytes, seed), hash64(changed, seed)];
      const longer = hash64(new Uint8Array([...bytes, 0]), seed);
      return (a[0] !== b[0] || a[1] !== b[1]) && (a[0] !== longer[0] || a[1] !== longer[1]);
    }),
    { numRuns: 500 },
  );
  // a view at an odd offset hashes as its bytes do
  const bytes = new Uint8Array(64).map((_, i) => i * 31);
  const odd = new Uint8Array(65);
  odd.set(bytes, 1);
  assert.equal(hash64(odd.subarray(1), seed), hash64(bytes, seed));
});

test('init: opts.calibrationCache must be a folder, true or false', async () => {
  for (const bad of [42, '', null, {}]) {
    try {
      await init({ calibrationCache: bad as never });
      assert.unreachable(`calibrationCache ${String(bad)} accepted`);
    } catch (e) {
      assert.match((e as Error).message, /^init: opts\.calibrationCache must be a folder path, true or false, got /);
    }
  }
});

test.run();
