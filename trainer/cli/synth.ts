// `anchorless synth --out DIR [--train N] [--val M] [--size S] [--seed K] [--format coco|yolo]`: a synthetic
// dataset (COCO: OUT/train, OUT/val, each annotations.json + images/; or the YOLO layout) for tests,
// demos and the default model.
import { readdir, stat } from 'node:fs/promises';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { synthDataset } from '../data/synth.js';
import { Progress } from '../util/progress.js';
import { CLUTTER_LEVELS, type Clutter } from '../data/synth-scene.js';
import { SHAPE_NAMES } from '../data/synth-shapes.js';

const SPEC: Record<string, OptionSpec> = {
  out: { type: 'string', help: 'output folder (must be absent or empty unless --overwrite)' },
  train: { type: 'string', help: 'training images (default 1000)' },
  val: { type: 'string', help: 'validation images (default 200)' },
  size: { type: 'string', help: 'image side in pixels (default 256)' },
  seed: { type: 'string', help: 'random seed (default 1): the same seed gives the same files' },
  'max-objects': { type: 'string', help: 'most objects per image (default 5)' },
  clutter: { type: 'string', help: `normal or heavy (striped backgrounds, small dots, more thin lines; default normal)` },
  classes: { type: 'string', help: `comma-separated shape classes (default all: ${SHAPE_NAMES.join(',')})` },
  format: { type: 'string', help: 'coco (default: OUT/train/annotations.json + images/) or yolo (OUT/images/train, OUT/labels/train, OUT/data.yaml)' },
  overwrite: { type: 'boolean', help: 'replace OUT/train and OUT/val if they exist' },
  json: { type: 'boolean', help: 'print the summary as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function synthCommand(argv: string[]): Promise<void> {
  const { options, positionals } = parseArgs('synth', argv, SPEC);
  if (options.help) return void console.log(helpText('anchorless synth --out DIR [--train N] [--val M] [--size S] [--seed K] [--format coco|yolo]', SPEC));
  if (positionals.length) throw new Error(`synth: unexpected argument ${positionals[0]}`);
  if (typeof options.out !== 'string') throw new Error('synth: --out DIR is required');
  const train = numberOption('synth', 'train', options.train, 1000, { integer: true, min: 0, max: 1e6 });
  const val = numberOption('synth', 'val', options.val, 200, { integer: true, min: 0, max: 1e6 });
  // the library's own message names its API option; here the flag
  const info = await stat(options.out).catch(() => undefined);
  if (info && !info.isDirectory()) throw new Error(`synth: --out ${options.out} exists and is not a folder`);
  if (info && options.overwrite !== true && (await readdir(options.out)).length > 0) {
    throw new Error(`synth: --out ${options.out} is not empty (add --overwrite to replace its train/ and val/)`);
  }
  const format = options.format ?? 'coco';
  if (format !== 'coco' && format !== 'yolo') throw new Error(`synth: --format must be coco or yolo, got ${String(format)}`);
  const clutter = (options.clutter ?? 'normal') as Clutter;
  if (!CLUTTER_LEVELS.includes(clutter)) throw new Error(`synth: --clutter must be one of ${CLUTTER_LEVELS.join(', ')}, got ${String(options.clutter)}`);
  const classes = typeof options.classes === 'string' ? options.classes.split(',').map((c) => c.trim()) : undefined;
  const bars = { train: new Progress('synth train', train), val: new Progress('synth val', val) };
  const summary = await synthDataset({
    out: options.out,
    train,
    val,
    size: numberOption('synth', 'size', options.size, 256, { integer: true, min: 32, max: 4096 }),
    seed: numberOption('synth', 'seed', options.seed, 1, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    maxObjects: numberOption('synth', 'max-objects', options['max-objects'], 5, { integer: true, min: 1, max: 100 }),
    overwrite: options.overwrite === true,
    clutter,
    ...(classes ? { classes } : {}),
    format,
    onProgress: (p) => bars[p.split].update(p.done),
  });
  if (options.json) console.log(JSON.stringify(summary, null, 2));
  else for (const s of summary.splits) console.log(`${s.split}: ${s.images} images, ${s.annotations} objects in ${s.dir}`);
}
