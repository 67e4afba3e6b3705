// `anchorless export --checkpoint DIR | --arch NAME --init random | --model FILE  --out FILE | --onnx FILE`:
// a model file from a training checkpoint, or a randomly initialised preset (for tests and
// benchmarks); with --onnx, also (or only) the inference network as ONNX (runtime/cli/export-onnx.ts).
import path from 'node:path';
import { archConfig, isConfigFile } from '../arch.js';
import { buildGraph } from '../../runtime/model/registry.js';
import { readModelFile, writeModelFile } from '../../runtime/weights/model-file.js';
import { ONNX_OPTIONS, onnxRequest, writeOnnx } from '../../runtime/cli/export-onnx.js';
import type { ModelConfig } from '../../runtime/model/config.js';
import { readFile } from 'node:fs/promises';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../checkpoint.js';
import { initialValue, gaussianRng } from '../model/params.js';
import { paramSpecs } from '../../runtime/model/graph.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';

const SPEC: Record<string, OptionSpec> = {
  checkpoint: { type: 'string', help: 'a training output folder (or its checkpoint.safetensors)' },
  arch: { type: 'string', help: 'a preset name, or a model config FILE.json (with --init random)' },
  model: { type: 'string', help: 'an anchorless model file (to convert with --onnx, or re-save with --out)' },
  init: { type: 'string', help: 'random: freshly initialised weights' },
  classes: { type: 'string', help: 'with --arch: number of classes (default 80)' },
  'input-size': { type: 'string', help: 'with --arch: input side (default the preset\'s)' },
  seed: { type: 'string', help: 'with --init random: seed (default 1)' },
  out: { type: 'string', help: 'the model file to write' },
  ...ONNX_OPTIONS,
  f16: { type: 'boolean', help: 'store F16 weights' },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function exportCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('export', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless export --checkpoint DIR | --arch NAME --init random | --model FILE  --out FILE | --onnx FILE', SPEC));
  if (positionals.length) throw new Error(`export: unexpected argument ${positionals[0]}`);
  const onnx = onnxRequest(o);
  if (typeof o.out !== 'string' && !onnx) throw new Error('export: --out FILE (a model file) or --onnx FILE is required');
  const outOptions = { overwrite: o.force === true, label: `export: --out ${String(o.out)}` };
  if (typeof o.out === 'string') await checkWritable(o.out, outOptions);
  if (onnx) await checkWritable(onnx.file, { overwrite: o.force === true, label: `export: --onnx ${onnx.file}` });
  const dtype = o.f16 ? 'F16' : 'F32';
  const sources = ['checkpoint', 'arch', 'model'].filter((name) => o[name] !== undefined);
  if (sources.length > 1) throw new Error(`export: give one of --checkpoint, --arch (with --init random) or --model, not ${sources.map((s) => `--${s}`).join(' and ')}`);
  let config: ModelConfig;
  let weights: ReadonlyMap<string, Float32Array>;
  let metadata: Record<string, string> | undefined;
  if (typeof o.checkpoint === 'string') {
    if (o.init !== undefined) throw new Error('export: give either --checkpoint or --arch with --init random, not both');
    const file = o.checkpoint.endsWith('.safetensors') ? o.checkpoint : path.join(o.checkpoint, CHECKPOINT_FILE);
    const ckpt = await readCheckpoint(file);
    config = ckpt.config;
    weights = ckpt.params;
    metadata = { 'anchorless.exported-from': JSON.stringify({ checkpoint: file, ...ckpt.state }) };
  } else if (typeof o.model === 'string') {
    if (o.init !== undefined) throw new Error('export: --init goes with --arch, not with --model');
    const bytes = await readFile(o.model).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`export: --model ${o.model}: cannot read it (${e.code ?? e.message})`);
    });
    const file = readModelFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), o.model);
    config = file.config;
    weights = file.tensors;
  } else if (typeof o.arch === 'string') {
    if (o.init !== 'random') throw new Error('export: --arch needs --init random (the only initialisation there is without a checkpoint)');
    const side = o['input-size'] === undefined ? undefined : numberOption('export', 'input-size', o['input-size'], 0, { integer: true, min: 1, max: 16384 });
    // a config file's own classes stay unless --classes is given; a preset's default is 80
    const numClasses = o.classes === undefined && isConfigFile(o.arch) ? undefined : numberOption('export', 'classes', o.classes, 80, { integer: true, min: 1, max: 100000 });
    try {
      config = await archConfig(o.arch, { command: 'export', ...(numClasses !== undefined ? { numClasses } : {}), ...(side ? { inputSize: [side, side] as [number, number] } : {}) });
    } catch (e) {
      // the preset's message names its API; here the flags (a config file's already does)
      const message = (e as Error).message;
      if (message.startsWith('export: ')) throw e;
      throw new Error(`export: --arch ${o.arch}${side ? ` --input-size ${side}` : ''}: ${message.replace(/^preset: /, '')}`);
    }
    const normal = gaussianRng(numberOption('export', 'seed', o.seed, 1, { integer: true, min: 0, max: 2 ** 31 - 1 }));
    weights = new Map(paramSpecs(buildGraph(config)).map((s) => [s.name, initialValue(s, normal)]));
  } else {
    throw new Error('export: give --checkpoint DIR, or --arch NAME --init random (or --model FILE)');
  }
  if (typeof o.out === 'string') {
    const bytes = writeModelFile(config, weights, { dtype, ...(metadata ? { metadata } : {}) });
    await writeFileAtomic(o.out, bytes, outOptions);
    console.log(`${o.out}: ${(bytes.length / 1e6).toFixed(2)} MB (${dtype})`);
  }
  if (onnx) {
    const size = await writeOnnx(onnx, config, weights, o.force === true);
    console.log(`${onnx.file}: ${(size / 1e6).toFixed(2)} MB (ONNX, ${onnx.layout})`);
    // the multi-size test is the runtime's merge, not part of the network
    if (config.testSizes) console.log(`${onnx.file}: the network at ${config.inputSize.join('x')}; the model's multi-size test (${config.testSizes.map((z) => z.join('x')).join(' + ')}, merged by ${config.testMerge === 'wbf' ? 'weighted boxes fusion' : 'per-class soft-NMS'}) is not in the ONNX graph`);
  }
}
