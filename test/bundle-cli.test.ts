// The package's bundled entries (dist/bundle/, scripts/build-bundle.mjs; `npm run build` first):
// the `anchorless` command from the bundle gives what the TypeScript source gives, for detect
// (the runtime's chunks finding the kernels and the default model beside tsc's files) and for
// synth + eval (the trainer's chunks and the runtime's detector in one process), and a short
// training run on two threads (the worker modules, which build-bundle.mjs bundles in place).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, readTensor } from '../runtime/weights/safetensors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundledCli = path.join(root, 'dist', 'bundle', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-bundle-'));

/** The command's stdout (its log and progress go to stderr: `logOf`). */
function run(fromBundle: boolean, ...args: string[]): string {
  return runBoth(fromBundle, ...args).stdout;
}

function logOf(fromBundle: boolean, ...args: string[]): string {
  return runBoth(fromBundle, ...args).stderr;
}

function runBoth(fromBundle: boolean, ...args: string[]): { stdout: string; stderr: string } {
  const argv = fromBundle ? [bundledCli, ...args] : ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, `${fromBundle ? 'bundle' : 'source'} ${args.join(' ')}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

test('dist/bundle/cli.js exists (npm run build makes it)', () => {
  assert.ok(existsSync(bundledCli), `${bundledCli} is missing: run npm run build`);
});

test('detect: the bundled command finds what the source finds on the sample', () => {
  const fromBundle = JSON.parse(run(true, 'detect', '--json', '--score-threshold', '0.1'));
  const fromSource = JSON.parse(run(false, 'detect', '--json', '--score-threshold', '0.1'));
  assert.ok(fromSource[0].detections.length > 0, 'the source found nothing: the comparison would prove nothing');
  assert.equal(fromBundle, fromSource);
});

test('synth + eval: the bundled command writes the same dataset and scores it the same', () => {
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  run(true, 'synth', '--out', a, '--train', '0', '--val', '6', '--size', '128', '--seed', '5');
  run(false, 'synth', '--out', b, '--train', '0', '--val', '6', '--size', '128', '--seed', '5');
  const model = path.join(root, 'models', 'centernet-tiny-synth.safetensors');
  const fromBundle = JSON.parse(run(true, 'eval', '--model', model, '--data', path.join(a, 'val'), '--json'));
  const fromSource = JSON.parse(run(false, 'eval', '--model', model, '--data', path.join(b, 'val'), '--json'));
  assert.ok(fromSource.metrics.AP > 0, `the default model scores nothing on its own kind of images (AP ${fromSource.metrics.AP})`);
  assert.is(fromBundle.images, 6);
  assert.equal(fromBundle.metrics, fromSource.metrics);
});

test('train with --threads 2 (the bundled gradient and loader workers): the same losses and weights as the source', () => {
  const data = path.join(dir, 'train-set');
  run(false, 'synth', '--out', data, '--train', '8', '--val', '0', '--size', '64', '--seed', '3');
  const runs = [true, false].map((fromBundle) => {
    const out = path.join(dir, fromBundle ? 'run-bundle' : 'run-source');
    const log = logOf(fromBundle, 'train', '--data', path.join(data, 'train'), '--arch', 'centernet-tiny', '--steps', '2', '--batch', '4', '--threads', '2', '--out', out);
    const lines = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const losses = lines.filter((l) => l.type === 'train').map(({ step, total, heatmap, size, offset }) => ({ step, total, heatmap, size, offset }));
    const model = parseSafetensors(new Uint8Array(readFileSync(path.join(out, 'model.safetensors'))), out);
    return { log, losses, model };
  });
  assert.match(runs[0].log, /on 2 threads/, 'the run used a gradient worker');
  assert.is(runs[0].losses.length, 2);
  assert.equal(runs[0].losses, runs[1].losses);
  const names = [...runs[1].model.tensors.keys()];
  assert.equal([...runs[0].model.tensors.keys()], names);
  for (const name of names) assert.equal(readTensor(runs[0].model, name), readTensor(runs[1].model, name), name);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
