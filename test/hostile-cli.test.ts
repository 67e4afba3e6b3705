// Hostile-input suite: the CLI's commands (detect, eval, export, synth) called in-process, as
// runtime/cli.ts calls them, with argument lists drawn from their flags, odd flags, and values
// that are missing, wrong, or name files that are not what they should be. Each run ends in
// success or an Error naming the command, a flag or a file; never a TypeError from inside, and
// no temporary file is ever left in the folder. (train is left out: a valid draw would train.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectCommand } from '../runtime/cli/detect.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { evalCommand } from '../trainer/cli/eval.js';
import { exportCommand } from '../trainer/cli/export.js';
import { synthCommand } from '../trainer/cli/synth.js';
import { encodePngRGB } from '../trainer/data/image-io.js';
import { synthDataset } from '../trainer/data/synth.js';
import { loadKernels } from './helpers/kernels.js';
import { randomWeights } from './helpers/random-weights.js';
import { checkThrown, count, params } from './helpers/hostile.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-hostile-cli-'));
const at = (...p: string[]) => path.join(dir, ...p);

const COMMANDS = { detect: detectCommand, eval: evalCommand, export: exportCommand, synth: synthCommand } as const;
type Command = keyof typeof COMMANDS;

const models = [at('tiny.safetensors'), at('missing.safetensors'), at('bad.safetensors'), at('folder'), 'C:\\m.safetensors', 'ftp://x/m.safetensors', ''];
const images = [at('small.png'), at('bad.png'), at('folder'), at('missing.png')];
const outs = [at('out.png'), at('out.json'), at('out.safetensors'), at('out.gif'), at('missing', 'x.png'), at('folder'), at('small.png'), at('synth-out'), ''];
const numbers = ['0', '1', '2', '-1', 'x', '3.5', 'NaN', '', '1e9', '0.5', '16', '32'];

/** Flags with the values each may take; a few the command does not know. */
const FLAGS: Record<Command, Record<string, readonly string[] | null>> = {
  detect: { model: models, json: null, out: outs, 'score-threshold': numbers, 'max-results': numbers, flip: null, force: null, modle: models },
  eval: { model: models, data: [at('synth', 'val'), at('folder'), at('missing'), at('small.png')], results: outs, force: null, 'class-map': [at('classmap.json'), at('bad.png'), at('missing.json')], json: null, voc: null, flip: null, limit: numbers, resluts: outs },
  export: { arch: ['centernet-tiny', 'cornernet-tiny', 'nope', ''], init: ['random', 'zeros'], classes: numbers, 'input-size': numbers, seed: numbers, out: outs, f16: null, force: null, checkpoint: [at('folder'), at('missing'), at('tiny.safetensors')] },
  synth: { out: outs, train: ['0', '1', '2', '-1', 'x'], val: ['0', '1', '-1', 'x'], size: ['32', '31', 'x', '64'], seed: numbers, 'max-objects': numbers, overwrite: null, json: null },
};

function argv(command: Command): fc.Arbitrary<string[]> {
  const flags = FLAGS[command];
  const one = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...Object.keys(flags)).chain((flag) => (flags[flag] === null ? fc.constant<string[]>([`--${flag}`]) : fc.tuple(fc.constantFrom(...flags[flag]!), fc.boolean()).map(([v, eq]) => (eq ? [`--${flag}=${v}`] : [`--${flag}`, v])))) },
    { weight: 1, arbitrary: fc.constantFrom<string[]>(['--'], ['-x'], ['--help'], ['stray'], [at('small.png')], ['--out']) },
  );
  return fc.array(one, { maxLength: 6 }).map((parts) => parts.flat());
}

/** Temporary files of the atomic writer anywhere under the folder. */
function temporaries(): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+/.test(path.basename(f)));
}

async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  const write = process.stderr.write;
  console.log = () => undefined;
  console.error = () => undefined;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

test.before(async () => {
  await loadKernels();
  mkdirSync(at('folder'));
  const config = preset('centernet-tiny', { labels: ['circle', 'square'], inputSize: [32, 32] });
  writeFileSync(at('tiny.safetensors'), writeModelFile(config, randomWeights(buildGraph(config), 3)));
  writeFileSync(at('bad.safetensors'), 'not a model');
  writeFileSync(at('bad.png'), 'not an image');
  writeFileSync(at('small.png'), await encodePngRGB({ data: new Uint8Array(24 * 20 * 3).map((_, i) => (i * 7) % 256), width: 24, height: 20 }));
  writeFileSync(at('classmap.json'), JSON.stringify({ circle: 'circle', square: null }));
  await synthDataset({ out: at('synth'), train: 0, val: 2, size: 64, seed: 3 });
});

test('detect, eval, export, synth with generated arguments', async () => {
  const run = fc.constantFrom(...(Object.keys(COMMANDS) as Command[])).chain((c) => fc.tuple(fc.constant(c), argv(c)));
  await fc.assert(
    fc.asyncProperty(run, async ([command, args]) => {
      // synth's defaults would draw 1200 images: small counts unless the draw says otherwise
      const full = command === 'synth' ? ['--train', '1', '--val', '1', '--size', '32', ...args] : args;
      let threw = false;
      try {
        await quietly(() => COMMANDS[command](full));
      } catch (e) {
        threw = true;
        checkThrown(e, new RegExp(`^${command}\\b|^image |^model |^dataset |${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${command} ${full.join(' ')}`);
      }
      count(`cli ${command}`, threw);
      const left = temporaries();
      if (left.length > 0) throw new Error(`${command} ${full.join(' ')}: left temporary files ${left.join(', ')}`);
    }),
    { ...params(400), timeout: 60_000 },
  );
  assert.equal(temporaries(), []);
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
