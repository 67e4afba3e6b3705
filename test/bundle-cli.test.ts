// The package's bundled entries (dist/bundle/, scripts/build-bundle.mjs; `npm run build` first):
// the `anchorless` command from the bundle gives what the TypeScript source gives, for detect
// (the runtime's chunks finding the kernels and the default model beside tsc's files) and for
// synth + eval (the trainer's chunks and the runtime's detector in one process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundledCli = path.join(root, 'dist', 'bundle', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-bundle-'));

function run(fromBundle: boolean, ...args: string[]): string {
  const argv = fromBundle ? [bundledCli, ...args] : ['--import', 'tsx', path.join(root, 'runtime', 'cli.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, `${fromBundle ? 'bundle' : 'source'} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
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

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
