// `anchorless eval --model FILE --data DIR [--results out.json] [--json] [--voc]`: COCO's twelve
// numbers (pycocotools' COCOeval), or with --voc the VOC07 11-point mAP at IoU 0.5.
import { readFile } from 'node:fs/promises';
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { loadDataset } from '../data/load.js';
import { writeCocoResults } from '../eval/results.js';
import { evaluateModel } from '../evaluate.js';
import { Progress } from '../util/progress.js';

const SPEC: Record<string, OptionSpec> = {
  model: { type: 'string', help: 'weight file (.safetensors)' },
  data: { type: 'string', help: 'dataset folder (COCO or VOC)' },
  results: { type: 'string', help: 'write the detections here in COCO results format' },
  json: { type: 'boolean', help: 'print the metrics as JSON' },
  voc: { type: 'boolean', help: 'report VOC07 11-point mAP at IoU 0.5 instead of the COCO numbers' },
  flip: { type: 'boolean', help: 'flip test' },
  limit: { type: 'string', help: 'evaluate only the first N images' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function evalCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('eval', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless eval --model FILE --data DIR [--results out.json] [--json] [--voc]', SPEC));
  if (positionals.length) throw new Error(`eval: unexpected argument ${positionals[0]}`);
  if (typeof o.model !== 'string') throw new Error('eval: --model FILE is required');
  if (typeof o.data !== 'string') throw new Error('eval: --data DIR is required');
  const bytes = await readFile(o.model).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`eval: --model ${o.model}: cannot read it (${e.code ?? e.message})`);
  });
  const ds = await loadDataset(o.data);
  const limit = o.limit === undefined ? undefined : numberOption('eval', 'limit', o.limit, 0, { integer: true, min: 1, max: 1e9 });
  const progress = new Progress('eval', Math.min(limit ?? Infinity, ds.images.length));
  const r = await evaluateModel(new Uint8Array(bytes), ds, { flip: o.flip === true, limit, onProgress: (d) => progress.update(d) });
  if (typeof o.results === 'string') await writeCocoResults(o.results, r.results);
  const metrics = o.voc ? { mAP50_voc07: r.voc07 } : r.coco.stats;
  if (o.json) {
    console.log(JSON.stringify({ model: o.model, data: o.data, images: r.images, msPerImage: r.msPerImage, metrics }, null, 2));
    return;
  }
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(12)} ${v === null ? 'n/a' : v.toFixed(3)}`);
  console.log(`${r.images} images, ${r.msPerImage.toFixed(1)} ms/image`);
}
