// Issue 10, defects 2 and 3: every writer refuses to replace a file unless asked, errors name the
// target the user gave (never the hidden temporary file), and no failure leaves a temporary file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../runtime/util/atomic-write.js';
import { writeFileAtomic as trainerWriteFileAtomic } from '../trainer/util/atomic-write.js';
import { exportCommand } from '../trainer/cli/export.js';
import { evalCommand } from '../trainer/cli/eval.js';
import { synthDataset } from '../trainer/data/synth.js';
import { loadKernels } from './helpers/kernels.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-atomic-'));

/** Every file under `root` whose name is a temporary of the atomic writer. */
function temporaries(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+/.test(path.basename(f)));
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    const message = (e as Error).message;
    assert.match(message, pattern);
    assert.not.match(message, /\.tmp-\d+/, `the error names no temporary file: ${message}`);
    return message;
  }
  throw new assert.Assertion({ message: `expected a rejection matching ${pattern}`, generated: false, operator: 'rejects' } as never);
}

test('the helper: new file, refusal without overwrite, replacement with it; trainer path is the same function', async () => {
  assert.is(trainerWriteFileAtomic, writeFileAtomic);
  const file = path.join(dir, 'a.json');
  await writeFileAtomic(file, 'one');
  await rejects(writeFileAtomic(file, 'two'), /a\.json: already exists \(add --force/);
  assert.is(readFileSync(file, 'utf8'), 'one');
  await writeFileAtomic(file, 'three', { overwrite: true });
  assert.is(readFileSync(file, 'utf8'), 'three');
  assert.equal(temporaries(dir), []);
});

test('the helper: missing folder, a folder as target, a failing write: the target named, nothing left behind', async () => {
  await rejects(writeFileAtomic(path.join(dir, 'missing', 'm.bin'), 'x', { label: 'export: --out missing/m.bin' }), /^export: --out missing\/m\.bin: the folder .*missing does not exist$/);
  const sub = path.join(dir, 'sub');
  mkdirSync(sub);
  await rejects(writeFileAtomic(sub, 'x', { overwrite: true }), /sub: is a folder, not a file/);
  // a write that fails after the temporary file exists (data of the wrong type)
  await rejects(writeFileAtomic(path.join(dir, 'bad.bin'), 42 as never), /bad\.bin: cannot write it/);
  assert.equal(temporaries(dir), []);
  assert.not.ok(readdirSync(dir).includes('bad.bin'), 'a failed write creates no target');
});

test('export --out: a missing folder or a folder is refused before any work, naming --out, leaving nothing', async () => {
  const args = ['--arch', 'centernet-tiny', '--init', 'random', '--classes', '2', '--input-size', '64'];
  await rejects(exportCommand([...args, '--out', path.join(dir, 'nowhere', 'm.safetensors')]), /^export: --out .*nowhere\/m\.safetensors: the folder .* does not exist/);
  const folder = path.join(dir, 'outdir');
  mkdirSync(folder);
  await rejects(exportCommand([...args, '--out', folder, '--force']), /^export: --out .*outdir: is a folder/);
  assert.equal(temporaries(dir), []);
});

test('eval --results: an existing file (even annotations.json) is refused before the model runs; a folder too', async () => {
  await loadKernels();
  await synthDataset({ out: path.join(dir, 'synth'), train: 0, val: 2, size: 64, seed: 3 });
  const data = path.join(dir, 'synth', 'val');
  const annotations = path.join(data, 'annotations.json');
  const before = readFileSync(annotations, 'utf8');
  const model = path.resolve('models/centernet-tiny-synth.safetensors');
  await rejects(evalCommand(['--model', model, '--data', data, '--results', annotations]), /^eval: --results .*annotations\.json: already exists \(add --force/);
  assert.is(readFileSync(annotations, 'utf8'), before, 'the dataset is untouched');
  await rejects(evalCommand(['--model', model, '--data', data, '--results', path.join(dir, 'no', 'r.json')]), /^eval: --results .*: the folder .* does not exist/);
  await rejects(evalCommand(['--model', model, '--data', data, '--results', data, '--force']), /is a folder/);
  // --force replaces it
  const results = path.join(dir, 'results.json');
  writeFileSync(results, 'old');
  await evalCommand(['--model', model, '--data', data, '--results', results, '--force', '--json']);
  assert.ok(Array.isArray(JSON.parse(readFileSync(results, 'utf8'))));
  assert.equal(temporaries(dir), []);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
