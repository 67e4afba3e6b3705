// `anchorless train --data DIR --val DIR --arch NAME --out DIR` (+ --epochs, --batch, --lr,
// --input-size, --resume, --backend, ...): see trainer/train.ts.
import { describePresets } from '../../runtime/model/presets.js';
import { MAX_TEST_SIZES } from '../../runtime/model/config.js';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { readClassNames } from '../data/classes-file.js';
import { train } from '../train.js';
import { AUGMENT_FROM_PASSES, PRESET_RECIPES, TINY_RECIPES, TRAIN_DEFAULTS } from '../recipes.js';
import { parseDuration, VALIDATIONS_PER_RUN, type LrSchedule } from '../schedule.js';

/** e.g. "centernet-tiny 6300, cornernet-tiny 2700" */
const tiny = (key: 'steps' | 'batch' | 'augment') => Object.entries(TINY_RECIPES).map(([arch, r]) => `${arch} ${r[key]}`).join(', ');

const SPEC: Record<string, OptionSpec> = {
  data: { type: 'string', help: 'training dataset folder (COCO: annotations.json + images/, VOC, or YOLO: a folder or its data.yaml)' },
  val: { type: 'string', help: `validation dataset folder: AP every --val-steps, best.safetensors kept, the exported model is the best one` },
  split: { type: 'string', help: 'VOC ImageSets/Main/NAME.txt or YOLO split of --data (default trainval, else train)' },
  'val-split': { type: 'string', help: 'the same for --val (default test, else val)' },
  classes: { type: 'string', help: 'class names, one per line: the channel order (default: the names in the VOC XML files, sorted)' },
  arch: { type: 'string', help: `model preset (${Object.keys(describePresets()).join(', ')}), or a model config FILE.json (a model file's config; labels and numClasses may be left out)` },
  out: { type: 'string', help: 'output folder: checkpoint, metrics.jsonl, model.safetensors' },
  epochs: { type: 'string', help: `epochs (default ${TRAIN_DEFAULTS.epochs}; the -tiny presets count --steps instead)` },
  steps: { type: 'string', help: `total optimiser steps instead of whole epochs (default: ${tiny('steps')})` },
  batch: { type: 'string', help: `batch size (default ${TRAIN_DEFAULTS.batch}; ${tiny('batch')})` },
  lr: { type: 'string', help: `Adam learning rate (default ${TRAIN_DEFAULTS.lr}; ${Object.entries(PRESET_RECIPES).map(([arch, r]) => `${arch} ${r.lr}`).join(', ')}), divided by 10 at 70% and 90% of the steps` },
  'lr-schedule': { type: 'string', help: `step (the papers': /10 at 70% and 90% of the steps) or cosine (down to 0 over all steps); default by the recipe` },
  'input-size': { type: 'string', help: 'network input, e.g. 256 or 256x320 (default: the preset\'s)' },
  resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
  backend: { type: 'string', help: 'force a TensorFlow.js backend: tfjs-node-gpu, tfjs-node, webgpu (a software adapter too), wasm, cpu' },
  seed: { type: 'string', help: `random seed (default ${TRAIN_DEFAULTS.seed})` },
  'val-steps': { type: 'string', help: `validate every N steps (default: ${VALIDATIONS_PER_RUN} validations per run)` },
  'val-every': { type: 'string', help: 'also validate at every Nth epoch end' },
  patience: { type: 'string', help: `stop after N validations without a better AP (default ${TRAIN_DEFAULTS.patience}; 0: never)` },
  'time-budget': { type: 'string', help: 'fit the steps and lr decay to a wall-clock budget, e.g. 20m, 1h, 900s (measures the first steps)' },
  'weight-decay': { type: 'string', help: 'decoupled weight decay of the conv kernels (AdamW; default by the recipe)' },
  ema: { type: 'string', help: 'decay of the moving average of the weights that validation and export read, e.g. 0.998 (0: the last weights; default by the recipe)' },
  'infer-scales': { type: 'string', help: 'inference input sizes to choose the exported model\'s from by AP on --val, as multiples of the training input, e.g. 1,1.25,1.5 (default by the recipe: 1, or for a fixed set 1,1.25,1.5; 1 keeps the training size)' },
  'infer-merge': { type: 'string', help: 'most of those sizes a CenterNet may run and merge (a multi-size test: each image at each size, detections merged by weighted boxes fusion), taken when it beats the best single size by 0.01 AP on --val (default by the recipe: 1, a fixed set 2; 1 exports one size)' },
  scales: { type: 'string', help: 'random crop scales of the augmentation, e.g. 0.6,0.7,0.8,0.9,1 (a crop of scale s fills the input, so objects appear 1/s as large; default by the recipe: the official 0.6..1.3, a fixed set 0.8..1.2)' },
  'checkpoint-every': { type: 'string', help: `checkpoint every N steps (default ${TRAIN_DEFAULTS.checkpointEvery}) and at each epoch end` },
  'max-steps': { type: 'string', help: 'stop after N steps in this run (resume later with --resume)' },
  threads: { type: 'string', help: `threads that share each step's batch (data parallel; default ${TRAIN_DEFAULTS.threads} on the wasm and cpu backends, 1 on native ones)` },
  workers: { type: 'string', help: 'data loader worker threads (default 1; 0 = in-process)' },
  augment: { type: 'string', help: `full (the papers': scale/crop, flip, colour) or none (default ${TRAIN_DEFAULTS.augment}; ${tiny('augment')} when the schedule sees each image <= ${AUGMENT_FROM_PASSES} times, else full)` },
  'augment-from': { type: 'string', help: 'train this fraction of the steps without augmentation before it starts, e.g. 0.3 (default by the recipe: 0; a fixed set\'s centernet-tiny 0.3)' },
  f16: { type: 'boolean', help: 'export F16 weights (half the file size)' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function trainCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('train', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless train --data DIR --val DIR --arch NAME --out DIR [options]', SPEC));
  if (positionals.length) throw new Error(`train: unexpected argument ${positionals[0]}`);
  for (const req of ['data', 'arch', 'out']) if (typeof o[req] !== 'string') throw new Error(`train: --${req} is required`);
  /** A comma-separated list of numbers in [0.25, 4]. */
  const numberList = (name: string) => (o[name] === undefined ? undefined : String(o[name]).split(',').map((v) => numberOption('train', name, v.trim(), 0, { min: 0.25, max: 4 })));
  const int = (name: string) => (o[name] === undefined ? undefined : numberOption('train', name, o[name], 0, { integer: true, min: name === 'workers' ? 0 : 1, max: 1e9 }));
  const result = await train({
    data: o.data as string,
    val: o.val as string | undefined,
    split: o.split as string | undefined,
    valSplit: o['val-split'] as string | undefined,
    classes: typeof o.classes === 'string' ? await readClassNames(o.classes, `train: --classes ${o.classes}`) : undefined,
    arch: o.arch as string,
    out: o.out as string,
    epochs: int('epochs'),
    steps: int('steps'),
    batch: int('batch'),
    lr: o.lr === undefined ? undefined : numberOption('train', 'lr', o.lr, 0, { min: 1e-9, max: 1 }),
    lrSchedule: o['lr-schedule'] as LrSchedule | undefined,
    inputSize: parseSize(o['input-size'] as string | undefined),
    resume: o.resume === true,
    backend: o.backend as string | undefined,
    seed: int('seed'),
    valEvery: int('val-every'),
    valSteps: int('val-steps'),
    patience: o.patience === undefined ? undefined : numberOption('train', 'patience', o.patience, 0, { integer: true, min: 0, max: 1e9 }),
    timeBudget: o['time-budget'] === undefined ? undefined : parseDuration(o['time-budget'] as string, 'train: --time-budget'),
    weightDecay: o['weight-decay'] === undefined ? undefined : numberOption('train', 'weight-decay', o['weight-decay'], 0, { min: 0, max: 0.999 }),
    ema: o.ema === undefined ? undefined : numberOption('train', 'ema', o.ema, 0, { min: 0, max: 0.999999 }),
    inferScales: numberList('infer-scales'),
    inferMerge: o['infer-merge'] === undefined ? undefined : numberOption('train', 'infer-merge', o['infer-merge'], 0, { integer: true, min: 1, max: MAX_TEST_SIZES }),
    scales: numberList('scales'),
    checkpointEvery: int('checkpoint-every'),
    maxSteps: int('max-steps'),
    threads: int('threads'),
    workers: int('workers'),
    augment: o.augment as 'full' | 'none' | undefined,
    augmentFrom: o['augment-from'] === undefined ? undefined : numberOption('train', 'augment-from', o['augment-from'], 0, { min: 0, max: 0.999 }),
    f16: o.f16 === true,
  });
  if (o.json) console.log(JSON.stringify(result, null, 2));
}

function parseSize(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(v);
  if (!m) throw new Error(`train: --input-size must be N or HxW, got ${v}`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}
