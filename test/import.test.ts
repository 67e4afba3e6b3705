// The importer of official PyTorch checkpoints (runtime/import): family detection, the config read
// from the shapes, renaming and transposing, the errors, the `anchorless import` command, and
// parity: each official-layout fixture imported with the CLI and run through detector.infer gives
// the head outputs PyTorch computed (test/fixtures/official, made by the official model code).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ObjectDetector } from '../runtime/detector.js';
import { importCheckpoint, importStateDict, planImport, transpose2310, type StateDictTensor } from '../runtime/import/import.js';
import { COCO_LABELS, COCO_MEAN_RGB, COCO_STD_RGB } from '../runtime/model/presets.js';
import type { Tensor } from '../runtime/ops/tensor.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { parseSafetensors, readTensor } from '../runtime/weights/safetensors.js';
import { readStateDict, tensorToFloat32 } from '../runtime/weights/torch/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(root, 'test', 'fixtures', 'official');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-import-'));

interface ManifestFamily {
  files: string[];
  heads: string[];
  official: { widths: Record<string, unknown>; parameters: number; keys: [string, number[], string][] };
  reduced: { widths: Record<string, unknown> };
  cases: { suffix: string; input: number[]; outputs: Record<string, number[]> }[];
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'MANIFEST.json'), 'utf8')) as { families: Record<string, ManifestFamily> };
const FAMILIES = Object.keys(manifest.families);
/** The families whose architecture is an hourglass; MANIFEST.json describes their widths alike. */
const HOURGLASS = ['centernet-hg', 'cornernet', 'cornernet-lite', 'cornernet-squeeze'];

/** The official test settings, from the official configs (CenterNet opts.py; CornerNet config/CornerNet.json; CornerNet-Lite configs/*.json). */
const OFFICIAL_TEST: Record<string, { decode: Record<string, number | string>; inputSize: number[]; outputNames?: Record<string, string> }> = {
  'centernet-hg': { decode: { k: 100, kernel: 3 }, inputSize: [512, 512] },
  cornernet: { decode: { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' }, inputSize: [511, 511] },
  'cornernet-lite': { decode: { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' }, inputSize: [511, 511], outputNames: { tl_regr: 'tl_offs', br_regr: 'br_offs' } },
  'cornernet-squeeze': { decode: { k: 20, kernel: 3, aeThreshold: 0.5, numDets: 100, pairScore: 'mean' }, inputSize: [511, 511], outputNames: { tl_regr: 'tl_offs', br_regr: 'br_offs' } },
};

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** cli() without waiting, so that independent runs overlap. */
function cliAsync(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
    });
  });
}

/** A fixture's state dict as float32 tensors, keys as in the file. */
function stateDict(name: string): Map<string, StateDictTensor> {
  const dict = readStateDict(fixture(name), name);
  return new Map([...dict.tensors].map(([k, t]) => [k, { shape: t.shape, data: tensorToFloat32(t, k) }]));
}

/** The hourglass widths of a config in MANIFEST.json's terms. */
function hourglassWidths(config: { backbone: Record<string, unknown>; head: Record<string, unknown>; numClasses: number; detector: string }) {
  const b = config.backbone as { channels: number[]; modules: number[]; stemChannels: number; cnvChannels: number };
  const h = config.head as { headChannels: number; poolChannels?: number };
  return {
    dims: b.channels,
    counts: b.modules,
    pre: [b.stemChannels, b.channels[0]],
    cnv: b.cnvChannels,
    head: h.headChannels,
    ...(config.detector === 'cornernet' ? { pool: h.poolChannels, classes: config.numClasses } : {}),
  };
}

/** MANIFEST.json's widths less CenterNet's head list [[hm, C], [wh, 2], [reg, 2]] (its class count is checked apart). */
function manifestWidths(w: Record<string, unknown>) {
  const { heads: _heads, ...rest } = w;
  return rest;
}

test('transpose2310: a hand-worked Conv2d weight [out 2, in 1, kh 1, kw 2] -> HWIO [1, 2, 1, 2]', () => {
  // official w[o][0][0][x]: o0 = [1, 2], o1 = [3, 4]; HWIO [0][x][0][o]: x0 = [1, 3], x1 = [2, 4]
  assert.equal([...transpose2310(new Float32Array([1, 2, 3, 4]), [2, 1, 1, 2])], [1, 3, 2, 4]);
});

for (const family of FAMILIES) {
  test(`${family}: the full-width key list in MANIFEST.json maps onto the model read from its shapes`, () => {
    const m = manifest.families[family];
    const shapes = new Map(m.official.keys.map(([k, s]) => [k, s]));
    const plan = planImport(shapes, `MANIFEST ${family}`);
    assert.is(plan.family.name, family);
    const weights = m.official.keys.filter(([k]) => !k.endsWith('num_batches_tracked'));
    assert.is(plan.moves.length + plan.skipped.length, weights.length, `${family}: every tensor used or deliberately skipped`);
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    const moved = new Set(plan.moves.map((mv) => mv.key));
    const movedValues = weights.filter(([k]) => moved.has(k)).reduce((n, [, s]) => n + size(s), 0);
    assert.is(plan.specs.reduce((n, s) => n + size(s.shape), 0), movedValues, `${family}: parameters filled = values imported`);
    if (plan.skipped.length === 0) assert.is(movedValues, m.official.parameters, `${family}: all ${m.official.parameters} values of the published model`);
    if (HOURGLASS.includes(family)) assert.equal(hourglassWidths(plan.config), manifestWidths(m.official.widths), `${family}: widths`);
  });
}

test('the reduced fixtures: widths from the shapes, COCO labels, RGB mean/std, official decode, input size and output names', () => {
  for (const family of HOURGLASS) {
    const m = importCheckpoint(fixture(`${family}.pth`), { source: `${family}.pth` });
    assert.is(m.family, family);
    assert.equal(hourglassWidths(m.config), manifestWidths(manifest.families[family].reduced.widths), `${family}: widths`);
    assert.is(m.config.numClasses, 80);
    assert.equal(m.config.labels, [...COCO_LABELS]);
    assert.equal(m.config.mean, COCO_MEAN_RGB);
    assert.equal(m.config.std, COCO_STD_RGB);
    const official = OFFICIAL_TEST[family];
    assert.equal(m.config.decode, official.decode, `${family}: decode`);
    assert.equal(m.config.inputSize, official.inputSize, `${family}: input size`);
    assert.equal(m.config.outputNames, official.outputNames, `${family}: output names`);
    assert.equal(m.skipped, []);
  }
});

test('a narrower variant: the class count comes from the shapes, labels class0... when not the 80 of COCO', () => {
  const dict = stateDict('centernet-hg.pth');
  for (const [key, t] of dict) {
    // keep the first 3 output channels of each stack's heatmap head
    if (/^hm\.\d+\.1\.(weight|bias)$/.test(key)) dict.set(key, { shape: [3, ...t.shape.slice(1)], data: t.data.slice(0, (3 * t.data.length) / t.shape[0]) });
  }
  const m = importStateDict(dict, 'three.pth');
  assert.is(m.config.numClasses, 3);
  assert.equal(m.config.labels, ['class0', 'class1', 'class2']);
  assert.is(m.weights.get('hm.1.1.bias')!.length, 3);
});

test('weights: 4-D tensors transposed (2, 3, 1, 0); the input conv also BGR -> RGB; vectors as they are', () => {
  const raw = stateDict('cornernet.pth');
  const { weights } = importStateDict(raw, 'cornernet.pth');
  const check = (key: string, name: string, reverse: boolean) => {
    const t = raw.get(key)!;
    const [o, i, kh, kw] = t.shape;
    const w = weights.get(name)!;
    for (let a = 0; a < o; a++) {
      for (let c = 0; c < i; c++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            const from = reverse ? i - 1 - c : c;
            assert.is(w[((y * kw + x) * i + c) * o + a], t.data[((a * i + from) * kh + y) * kw + x], `${name} [${y}, ${x}, ${c}, ${a}]`);
          }
        }
      }
    }
  };
  check('module.pre.0.conv.weight', 'hg.pre.0.weight', true);
  check('module.pre.1.conv1.weight', 'hg.pre.1.conv1.weight', false);
  check('module.tl_cnvs.1.p_conv1.weight', 'tl_modules.1.p_conv1.weight', false);
  assert.equal([...weights.get('tl_heats.1.1.bias')!], [...raw.get('module.tl_heats.1.1.bias')!.data]);
  assert.equal([...weights.get('hg.inters_.0.bn.running_var')!], [...raw.get('module.inters_.0.1.running_var')!.data]);
});

test('errors name the checkpoint and the keys at fault', () => {
  const base = stateDict('cornernet-squeeze.pth');
  const withChange = (change: (m: Map<string, StateDictTensor>) => void) => {
    const m = new Map(base);
    change(m);
    return m;
  };
  const cases: [Map<string, StateDictTensor>, RegExp][] = [
    [new Map([['foo.weight', { shape: [2], data: new Float32Array(2) }]]), /x\.pth: not a checkpoint of a known family; its keys foo\.weight match none of centernet-hg .*cornernet-squeeze/],
    [new Map(), /x\.pth: the state dict holds no weights/],
    [withChange((m) => m.delete('module.hg.hgs.1.low3.0.conv_3x3.weight')), /cornernet-squeeze: 1 parameter .* not in the checkpoint: hg\.hgs\.1\.low3\.0\.conv_3x3\.weight/],
    [withChange((m) => m.set('module.tl_heats.0.2.weight', { shape: [1], data: new Float32Array(1) })), /1 key of the checkpoint match no parameter .*: module\.tl_heats\.0\.2\.weight/],
    [withChange((m) => m.set('module.hg.up9.weight', { shape: [1], data: new Float32Array(1) })), /module\.hg\.up9\.weight/],
    [withChange((m) => m.set('module.tl_heats.0.1.bias', { shape: [81], data: new Float32Array(81) })), /key module\.tl_heats\.0\.1\.bias has shape \[81\] but parameter tl_heats\.0\.1\.bias .* needs \[80\]/],
    [withChange((m) => m.set('tl_heats.0.1.bias', m.get('module.tl_heats.0.1.bias')!)), /keys module\.tl_heats\.0\.1\.bias and tl_heats\.0\.1\.bias are the same once the DataParallel prefix/],
    [withChange((m) => m.set('module.tl_tags.1.1.bias', { shape: [1], data: new Float32Array([NaN]) })), /key module\.tl_tags\.1\.1\.bias holds NaN at index 0/],
    [withChange((m) => m.set('module.tl_tags.1.1.bias', { shape: [1], data: new Float32Array(3) })), /key module\.tl_tags\.1\.1\.bias has shape \[1\] \(1 values\) but holds 3 values/],
  ];
  for (const [dict, pattern] of cases) {
    assert.throws(() => importStateDict(dict, dict.size > 1 ? 'cornernet-squeeze.pth' : 'x.pth'), pattern);
  }
  assert.throws(() => importCheckpoint(fixture('cornernet.pth'), { source: 'a.pth', sauce: 1 } as never), /unknown option "sauce" \(options: source\)/);
  assert.throws(() => importCheckpoint(fixture('cornernet.pth').subarray(0, 5000), { source: 'cut.pth' }), /cut\.pth/);
  assert.throws(() => importCheckpoint('cornernet.pth' as never, { source: 'a.pth' }), /a\.pth: expected the file contents as a Uint8Array, got string/);
  assert.throws(() => importStateDict(new Map([['a', { shape: [1], data: [0] }]]) as never, 'b.pth'), /b\.pth: key a must be \{ shape: number\[\], data: Float32Array \}/);
});

test('anchorless import: summary line, refuses to overwrite without --force, --f16, clear errors, no stray files', async () => {
  const out = path.join(dir, 'lite.safetensors');
  const r = cli('import', path.join(FIXTURES, 'cornernet-lite.pth'), '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /cornernet-lite, 80 classes, 522,685 parameters, input 511x511/);
  const file = readModelFile(new Uint8Array(readFileSync(out)), out);
  assert.is(file.metadata.family, 'cornernet-lite');
  assert.is(file.metadata.importedFrom, 'cornernet-lite.pth');
  const before = statSync(out).mtimeMs;

  const again = cli('import', path.join(FIXTURES, 'cornernet.pth'), '--out', out);
  assert.is(again.code, 1);
  assert.match(again.stderr, /--out .*lite\.safetensors: already exists \(add --force to overwrite it\)/);
  assert.is(statSync(out).mtimeMs, before, 'the existing file is untouched');

  const half = cli('import', path.join(FIXTURES, 'cornernet.pth'), '--out', out, '--f16', '--force');
  assert.is(half.code, 0, half.stderr);
  const f16 = readModelFile(new Uint8Array(readFileSync(out)), out);
  const f32 = importCheckpoint(fixture('cornernet.pth'), { source: 'cornernet.pth' });
  assert.is(f16.config.name, 'cornernet');
  for (const [name, w] of f32.weights) {
    const h = f16.tensors.get(name)!;
    for (let i = 0; i < w.length; i++) {
      if (Math.abs(h[i] - w[i]) > Math.abs(w[i]) * 2 ** -11 + 2 ** -24) assert.unreachable(`${name}[${i}]: f16 ${h[i]} vs ${w[i]}`);
    }
  }

  const errors: [string[], RegExp][] = [
    [['import', path.join(dir, 'missing.pth'), '--out', path.join(dir, 'x.safetensors')], /missing\.pth: no such file/],
    [['import', path.join(FIXTURES, 'MANIFEST.json'), '--out', path.join(dir, 'x.safetensors')], /MANIFEST\.json: not a PyTorch checkpoint/],
    [['import', path.join(FIXTURES, 'cornernet.pth')], /--out FILE is required/],
    [['import', path.join(FIXTURES, 'cornernet.pth'), '--out', path.join(dir, 'no', 'x.safetensors')], /the folder .* does not exist/],
    [['import', '--out', path.join(dir, 'x.safetensors')], /give one checkpoint file, got 0/],
    [['import', path.join(FIXTURES, 'cornernet.pth'), '--out', path.join(dir, 'x.safetensors'), '--half'], /unknown option --half \(options: --out, --f16, --force, --help\)/],
  ];
  const results = await Promise.all(errors.map(([args]) => cliAsync(...args)));
  for (const [i, [args, pattern]] of errors.entries()) {
    const e = results[i];
    assert.is(e.code, 1, args.join(' '));
    assert.match(e.stderr, pattern);
    assert.not.match(e.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.not.ok(existsSync(path.join(dir, 'x.safetensors')));
  assert.equal(readdirSync(dir).sort(), ['lite.safetensors'], 'no temporary files left behind');
});

/** NCHW [1, 3, H, W]: the official BGR planes in RGB order (the importer made the model RGB). */
function bgrToRgb(t: Tensor): Tensor {
  const plane = t.shape[2] * t.shape[3];
  const data = new Float32Array(t.data.length);
  for (let c = 0; c < 3; c++) data.set(t.data.subarray((2 - c) * plane, (3 - c) * plane), c * plane);
  return { data, shape: t.shape };
}

/** Largest |got - want| relative to the largest |want|. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

async function parity(family: string, checkpoint: string): Promise<void> {
  const model = path.join(dir, `${path.basename(checkpoint)}.safetensors`);
  const r = cli('import', path.join(FIXTURES, checkpoint), '--out', model, '--force');
  assert.is(r.code, 0, r.stderr);
  const cases = parseSafetensors(fixture(`${family}.case.safetensors`), `${family}.case.safetensors`);
  const meta = JSON.parse(cases.metadata.case) as { heads: string[]; cases: { suffix: string; input_size: [number, number] }[] };
  for (const c of meta.cases) {
    const input: Tensor = { data: readTensor(cases, `input${c.suffix}`), shape: [1, 3, ...c.input_size] };
    const det = await ObjectDetector.create({ model, inputSize: c.input_size });
    try {
      const out = await det.infer(bgrToRgb(input), { layout: 'NCHW' });
      assert.equal(Object.keys(out).sort(), [...meta.heads].sort(), `${family}${c.suffix}: the official head names`);
      for (const head of meta.heads) {
        const want = readTensor(cases, `${head}${c.suffix}`);
        const shape = manifest.families[family].cases.find((x) => x.suffix === c.suffix)!.outputs[head];
        assert.equal(out[head].shape, shape, `${family}${c.suffix} ${head}: shape`);
        const err = relativeError(out[head].data, want);
        assert.ok(err <= 1e-4, `${family}${c.suffix} ${head}: relative error ${err.toExponential(2)} > 1e-4`);
      }
    } finally {
      det.close();
    }
  }
}

for (const family of FAMILIES) {
  test(`parity: ${family}.pth imported with the CLI, detector.infer on the case inputs gives PyTorch's head outputs within 1e-4`, async () => {
    await parity(family, `${family}.pth`);
  });
}

test('the zip-format copy imports the same weights and config as the legacy file', async () => {
  const legacy = importCheckpoint(fixture('centernet-resdcn.pth'), { source: 'centernet-resdcn.pth' });
  const zip = importCheckpoint(fixture('centernet-resdcn.zip.pth'), { source: 'centernet-resdcn.zip.pth' });
  assert.equal(zip.config, legacy.config);
  assert.equal([...zip.weights.keys()], [...legacy.weights.keys()]);
  for (const [name, w] of legacy.weights) {
    const z = zip.weights.get(name)!;
    assert.ok(Buffer.from(z.buffer, z.byteOffset, z.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), name);
  }
  await parity('centernet-resdcn', 'centernet-resdcn.zip.pth');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
