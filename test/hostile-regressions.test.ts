// Failures the hostile-input suite found (issue 10), each kept as a plain example: they must stay
// fixed whatever seed the generated runs use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from '../runtime/cli/args.js';
import * as ops from '../runtime/ops/index.js';
import { evalCommand } from '../trainer/cli/eval.js';
import { exportCommand } from '../trainer/cli/export.js';
import { synthDataset } from '../trainer/data/synth.js';
import { parseVocXml } from '../trainer/data/voc.js';
import { loadKernels } from './helpers/kernels.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-regressions-'));

test('conv2d / conv2dTranspose with a huge pad: an Error naming the op and the pad, not the allocator', async () => {
  await loadKernels();
  const x = { data: new Float32Array(6), shape: [1, 2, 3, 1] };
  const w = { data: new Float32Array(9), shape: [3, 3, 1, 1] };
  assert.throws(() => ops.conv2d(x, w, { pad: 2 ** 31 }), /^conv2d: output size \d+x\d+ is too large for kernel memory \(pad \[2147483648, /);
  assert.throws(() => ops.conv2dTranspose(x, w, { stride: 2 ** 20, outputPadding: 0 }), /^conv2dTranspose: output size .* too large/);
});

test('VOC XML with a character reference beyond Unicode: an Error naming the file, not a RangeError', () => {
  try {
    parseVocXml('<annotation>&#xFFFFFF;</annotation>', 'a.xml');
    assert.unreachable('must throw');
  } catch (e) {
    assert.not.instance(e, RangeError);
    assert.match((e as Error).message, /^a\.xml: malformed XML: character reference &#xFFFFFF; is not a Unicode code point/);
  }
});

test('an empty flag value is refused by the flag name (synth said "out: an output folder is required")', () => {
  assert.throws(() => parseArgs('synth', ['--out', ''], { out: { type: 'string', help: '' } }), /^synth: --out needs a value, got an empty string$/);
  assert.throws(() => parseArgs('synth', ['--out='], { out: { type: 'string', help: '' } }), /^synth: --out needs a value/);
});

test('export --arch with an unknown name names the flag; eval --model with a corrupt file names the file', async () => {
  await exportCommand(['--arch', 'nope', '--init', 'random', '--out', path.join(dir, 'm.safetensors')]).then(
    () => assert.unreachable('unknown arch'),
    (e: Error) => assert.match(e.message, /^export: --arch nope: unknown model "nope"/),
  );
  const bad = path.join(dir, 'bad.safetensors');
  writeFileSync(bad, 'not a model at all');
  await synthDataset({ out: path.join(dir, 'synth'), train: 0, val: 1, size: 32, seed: 1 });
  await evalCommand(['--model', bad, '--data', path.join(dir, 'synth', 'val')]).then(
    () => assert.unreachable('corrupt model'),
    (e: Error) => assert.ok(e.message.startsWith(`${bad}: `), e.message),
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
