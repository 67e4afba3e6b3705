// `anchorless data DIR [--split NAME] [--classes FILE] [--model FILE|URL | --arch NAME] [--out FILE.svg]`:
// a look at a dataset (COCO, VOC or YOLO) before training on it: counts, per-class counts, box
// sizes against the image and the model's heatmap, missing and broken files; and a picture (an
// SVG grid of a few images with their boxes, and the box-size histograms), written atomically.
import path from 'node:path';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { loadModelBytes } from '../../runtime/model-source.js';
import { describePresets } from '../../runtime/model/presets.js';
import { archConfig } from '../arch.js';
import { buildGraph } from '../../runtime/model/registry.js';
import { readModelFile } from '../../runtime/weights/model-file.js';
import { readClassNames } from '../data/classes-file.js';
import { datasetPicture } from '../data/draw-svg.js';
import { loadDataset } from '../data/load.js';
import { formatSummary, summarizeDataset, type ModelView } from '../data/summary.js';
import { checkWritable, writeFileAtomic } from '../util/atomic-write.js';
import { Progress } from '../util/progress.js';

const SPEC: Record<string, OptionSpec> = {
  split: { type: 'string', help: 'VOC ImageSets/Main/NAME.txt or YOLO split (default: trainval, else train; YOLO train)' },
  classes: { type: 'string', help: 'class names, one per line (VOC channel order; names for a YOLO folder without them)' },
  model: { type: 'string', help: 'the model whose input size and stride the box sizes are measured against (default: the bundled model)' },
  arch: { type: 'string', help: `or a preset instead of a model file (${Object.keys(describePresets()).join(', ')}), or a model config FILE.json` },
  'input-size': { type: 'string', help: 'network input, N or HxW (default: the model\'s)' },
  out: { type: 'string', help: 'the picture (SVG; default DIRNAME-data.svg in the current folder)' },
  force: { type: 'boolean', help: 'overwrite --out if it exists' },
  images: { type: 'string', help: 'images in the picture\'s grid (default 8)' },
  decode: { type: 'boolean', help: 'decode every image fully (finds truncated files; slower than reading headers)' },
  json: { type: 'boolean', help: 'print the summary as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

const USAGE = 'anchorless data DIR [--split NAME] [--classes FILE] [--model FILE|URL | --arch NAME] [--out FILE.svg] [--force] [--json]';

export async function dataCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('data', argv, SPEC);
  if (o.help) return void console.log(helpText(USAGE, SPEC));
  if (positionals.length === 0) throw new Error(`data: a dataset folder is required: ${USAGE}`);
  if (positionals.length > 1) throw new Error(`data: unexpected argument ${positionals[1]}`);
  if (o.model !== undefined && o.arch !== undefined) throw new Error('data: give --model or --arch, not both');
  const dir = positionals[0];
  const gridImages = numberOption('data', 'images', o.images, 8, { integer: true, min: 0, max: 100 });
  const out = (o.out as string | undefined) ?? `${path.basename(path.resolve(dir)).replace(/\.ya?ml$/i, '')}-data.svg`;
  const writeOptions = { overwrite: o.force === true, label: `data: --out ${out}` };
  await checkWritable(out, writeOptions);
  const model = await modelView(o.model as string | undefined, o.arch as string | undefined, o['input-size'] as string | undefined);
  const classes = typeof o.classes === 'string' ? await readClassNames(o.classes, `data: --classes ${o.classes}`) : undefined;
  const ds = await loadDataset(dir, { split: o.split as string | undefined, classes, checkFiles: false });
  const progress = new Progress('data', ds.images.length);
  const summary = await summarizeDataset(ds, model, { decode: o.decode === true, onProgress: (d) => progress.update(d) });
  await writeFileAtomic(out, await datasetPicture(ds, summary, { images: gridImages }), writeOptions);
  if (o.json) console.log(JSON.stringify({ ...summary, picture: out }, null, 2));
  else console.log(`${formatSummary(summary)}\n\npicture: ${out}`);
}

async function modelView(model: string | undefined, arch: string | undefined, inputSize: string | undefined): Promise<ModelView> {
  const size = parseSize(inputSize);
  const config = arch !== undefined
    ? await archConfig(arch, { command: 'data', ...(size ? { inputSize: size } : {}) })
    : await loadModelBytes(model).then(({ bytes, source }) => readModelFile(bytes, source).config);
  const inputSizeUsed = size ?? config.inputSize;
  return { name: arch ?? config.name, detector: config.detector, inputSize: inputSizeUsed, stride: buildGraph(config).stride };
}

function parseSize(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2] ?? m[1]) < 1) throw new Error(`data: --input-size must be N or HxW, got ${v}`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}
