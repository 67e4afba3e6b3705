// `anchorless export ... --onnx FILE` as users run it (a child process per call): a model file
// converted to ONNX is the bytes exportOnnx() gives, runs in onnxruntime-node to our runtime's
// outputs, is written atomically, never over an existing file without --force, and bad flags are
// one-line errors that name the flag.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { exportOnnx } from '../runtime/index.js';
import { inferenceHeads } from '../runtime/model/registry.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { loadKernels } from './helpers/kernels.js';
import { randomF32, scaleRelativeError } from './helpers/random.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-onnx-cli-'));
const modelFile = path.join(root, 'models', 'centernet-tiny-synth.safetensors');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('export --model FILE --onnx FILE: the bytes of exportOnnx(), and onnxruntime runs them to our outputs', async () => {
  const out = path.join(dir, 'tiny.onnx');
  const r = cli('export', '--model', modelFile, '--onnx', out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /tiny\.onnx: [\d.]+ MB \(ONNX, NCHW\)/);
  const file = readModelFile(new Uint8Array(readFileSync(modelFile)), modelFile);
  const written = new Uint8Array(readFileSync(out));
  assert.ok(Buffer.from(written).equals(Buffer.from(exportOnnx(file.config, new Map(file.tensors)))), 'the CLI writes what the API returns');

  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    console.log('    onnxruntime-node is not installed: the run through it is skipped');
    return;
  }
  const [h, w] = file.config.inputSize;
  const x = randomF32(h * w * 3, 3);
  const kn = await loadKernels();
  const heads = inferenceHeads(file.graph);
  const plan = ExecutionPlan.build(kn, file.graph, file.tensors, heads, h, w);
  plan.run(x);
  const nchw = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) nchw[c * h * w + i] = x[i * 3 + c];
  const session = await ort.InferenceSession.create(written);
  const result = await session.run({ image: new ort.Tensor('float32', nchw, [1, 3, h, w]) });
  for (const head of Object.keys(heads)) {
    const ours = plan.output(head);
    const [, oh, ow, oc] = ours.shape;
    const theirs = result[head].data as Float32Array;
    const back = new Float32Array(ours.data.length);
    for (let c = 0; c < oc; c++) for (let i = 0; i < oh * ow; i++) back[i * oc + c] = theirs[c * oh * ow + i];
    const err = scaleRelativeError(back, ours.data);
    assert.ok(err < 1e-4, `${head}: onnxruntime vs ours ${err}`);
  }
  plan.release();
  await session.release();
});

test('export --arch --init random --onnx FILE alone (no --out), NHWC, opset 17', () => {
  const out = path.join(dir, 'random.onnx');
  const r = cli('export', '--arch', 'centernet-tiny', '--init', 'random', '--classes', '2', '--input-size', '64', '--onnx', out, '--onnx-layout', 'NHWC', '--onnx-opset', '17');
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  assert.not.match(r.stdout, /safetensors/, 'no model file written without --out');
});

test('export --onnx: an existing file is kept without --force and replaced with it; no temporary file is left', () => {
  const out = path.join(dir, 'exists.onnx');
  writeFileSync(out, 'keep me');
  const r = cli('export', '--model', modelFile, '--onnx', out);
  assert.is(r.code, 1);
  assert.match(r.stderr, /--onnx .*exists\.onnx: already exists \(add --force to overwrite it\)/);
  assert.is(readFileSync(out, 'utf8'), 'keep me');
  const forced = cli('export', '--model', modelFile, '--onnx', out, '--force');
  assert.is(forced.code, 0, forced.stderr);
  assert.is.not(readFileSync(out, 'utf8'), 'keep me');
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no hidden temporary files');
});

test('export --onnx: bad flags are one-line errors naming the flag', () => {
  const out = path.join(dir, 'bad.onnx');
  const cases: [string[], RegExp][] = [
    [['--model', modelFile, '--onnx', out, '--onnx-layout', 'NCWH'], /--onnx-layout must be NCHW or NHWC, got NCWH/],
    [['--model', modelFile, '--onnx', out, '--onnx-opset', '12'], /onnx-opset/],
    [['--model', modelFile, '--out', path.join(dir, 'x.safetensors'), '--onnx-layout', 'NHWC'], /--onnx-layout needs --onnx FILE/],
    [['--model', modelFile, '--arch', 'centernet-tiny', '--onnx', out], /give one of --checkpoint, --arch .* or --model, not --arch and --model/],
    [['--model', path.join(dir, 'missing.safetensors'), '--onnx', out], /--model .*missing\.safetensors: cannot read it \(ENOENT\)/],
    [['--model', modelFile], /--out FILE \(a model file\) or --onnx FILE is required/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli('export', ...args);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.not.ok(existsSync(out), 'nothing written on an error');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
