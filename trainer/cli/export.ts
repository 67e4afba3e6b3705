// `anchorless export --checkpoint DIR | --arch NAME --init random --out FILE`: a model file from a
// training checkpoint, or a randomly initialised preset (for tests and benchmarks).
import path from 'node:path';
import { preset } from '../../runtime/model/presets.js';
import { buildGraph } from '../../runtime/model/registry.js';
import { writeModelFile } from '../../runtime/weights/model-file.js';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../checkpoint.js';
import { initialValue, gaussianRng } from '../model/params.js';
import { paramSpecs } from '../../runtime/model/graph.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';

const SPEC: Record<string, OptionSpec> = {
  checkpoint: { type: 'string', help: 'a training output folder (or its checkpoint.safetensors)' },
  arch: { type: 'string', help: 'a preset name (with --init random)' },
  init: { type: 'string', help: 'random: freshly initialised weights' },
  classes: { type: 'string', help: 'with --arch: number of classes (default 80)' },
  'input-size': { type: 'string', help: 'with --arch: input side (default the preset\'s)' },
  seed: { type: 'string', help: 'with --init random: seed (default 1)' },
  out: { type: 'string', help: 'the model file to write' },
  f16: { type: 'boolean', help: 'store F16 weights' },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function exportCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('export', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless export --checkpoint DIR | --arch NAME --init random --out FILE', SPEC));
  if (positionals.length) throw new Error(`export: unexpected argument ${positionals[0]}`);
  if (typeof o.out !== 'string') throw new Error('export: --out FILE is required');
  const outOptions = { overwrite: o.force === true, label: `export: --out ${o.out}` };
  await checkWritable(o.out, outOptions);
  const dtype = o.f16 ? 'F16' : 'F32';
  let bytes: Uint8Array;
  if (typeof o.checkpoint === 'string') {
    if (o.arch !== undefined || o.init !== undefined) throw new Error('export: give either --checkpoint or --arch with --init random, not both');
    const file = o.checkpoint.endsWith('.safetensors') ? o.checkpoint : path.join(o.checkpoint, CHECKPOINT_FILE);
    const ckpt = await readCheckpoint(file);
    bytes = writeModelFile(ckpt.config, ckpt.params, { dtype, metadata: { 'anchorless.exported-from': JSON.stringify({ checkpoint: file, ...ckpt.state }) } });
  } else if (typeof o.arch === 'string') {
    if (o.init !== 'random') throw new Error('export: --arch needs --init random (the only initialisation there is without a checkpoint)');
    const side = o['input-size'] === undefined ? undefined : numberOption('export', 'input-size', o['input-size'], 0, { integer: true, min: 1, max: 16384 });
    const numClasses = numberOption('export', 'classes', o.classes, 80, { integer: true, min: 1, max: 100000 });
    let config: ReturnType<typeof preset>;
    try {
      config = preset(o.arch, { numClasses, ...(side ? { inputSize: [side, side] as [number, number] } : {}) });
    } catch (e) {
      // the preset's message names its API; here the flags
      throw new Error(`export: --arch ${o.arch}${side ? ` --input-size ${side}` : ''}: ${(e as Error).message.replace(/^preset: /, '')}`);
    }
    const normal = gaussianRng(numberOption('export', 'seed', o.seed, 1, { integer: true, min: 0, max: 2 ** 31 - 1 }));
    const weights = new Map(paramSpecs(buildGraph(config)).map((s) => [s.name, initialValue(s, normal)]));
    bytes = writeModelFile(config, weights, { dtype });
  } else {
    throw new Error('export: give --checkpoint DIR, or --arch NAME --init random');
  }
  await writeFileAtomic(o.out, bytes, outOptions);
  console.log(`${o.out}: ${(bytes.length / 1e6).toFixed(2)} MB (${dtype})`);
}
