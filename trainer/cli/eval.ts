// `anchorless eval --model FILE|URL --data DIR [--split NAME] [--classes FILE] [--results out.json] [--json] [--voc] [--class-map FILE]`:
// COCO's twelve numbers (pycocotools' COCOeval), or with --voc the VOC07 11-point mAP at IoU 0.5.
// Model classes are scored against dataset categories by label name (or --class-map); every
// check (classes, --results) happens before the first image runs.
import { helpText, numberOption, parseArgs, type OptionSpec } from '../../runtime/cli/args.js';
import { readClassNames } from '../data/classes-file.js';
import { detectDatasetFormat, loadDataset } from '../data/load.js';
import { readClassMap } from '../eval/class-map.js';
import { writeCocoResults } from '../eval/results.js';
import { evaluateModel } from '../evaluate.js';
import { checkWritable } from '../util/atomic-write.js';
import { Progress } from '../util/progress.js';

const SPEC: Record<string, OptionSpec> = {
  model: { type: 'string', help: 'weight file (.safetensors): a path or an http(s) URL' },
  data: { type: 'string', help: 'dataset folder (COCO, VOC or YOLO) or a YOLO data.yaml' },
  split: { type: 'string', help: 'VOC ImageSets/Main/NAME.txt or YOLO split (default: test, then val; YOLO val, then test)' },
  classes: { type: 'string', help: 'class names, one per line (VOC channel order; names for a YOLO folder without them)' },
  'ignore-unknown-classes': { type: 'boolean', help: 'drop (with a warning) objects of classes the model or --classes lacks, instead of an error' },
  results: { type: 'string', help: 'write the detections here in COCO results format' },
  force: { type: 'boolean', help: 'overwrite --results if it exists' },
  'class-map': { type: 'string', help: 'JSON { "model label": dataset category id or name, or null }; default: match by name' },
  json: { type: 'boolean', help: 'print the metrics as JSON' },
  voc: { type: 'boolean', help: 'report VOC07 11-point mAP at IoU 0.5 instead of the COCO numbers' },
  flip: { type: 'boolean', help: 'flip test' },
  limit: { type: 'string', help: 'evaluate only the first N images' },
  detectors: { type: 'string', help: 'detectors taking the images in turn, one per core (default 1; the others in worker threads): the same numbers, sooner' },
  help: { type: 'boolean', help: 'show this help' },
};

/** How many dataset warnings (skipped annotations) are printed before "... and N more". */
const SHOWN_WARNINGS = 5;

export async function evalCommand(argv: string[]): Promise<void> {
  const { options: o, positionals } = parseArgs('eval', argv, SPEC);
  if (o.help) return void console.log(helpText('anchorless eval --model FILE|URL --data DIR [--split NAME] [--classes FILE] [--results out.json] [--json] [--voc] [--class-map FILE]', SPEC));
  if (positionals.length) throw new Error(`eval: unexpected argument ${positionals[0]}`);
  if (typeof o.model !== 'string') throw new Error('eval: --model FILE is required');
  if (typeof o.data !== 'string') throw new Error('eval: --data DIR is required');
  const limit = o.limit === undefined ? undefined : numberOption('eval', 'limit', o.limit, 0, { integer: true, min: 1, max: 1e9 });
  const detectors = o.detectors === undefined ? undefined : numberOption('eval', 'detectors', o.detectors, 1, { integer: true, min: 1, max: 64 });
  const results = o.results as string | undefined;
  const resultsOptions = { overwrite: o.force === true, label: `eval: --results ${results}` };
  if (results !== undefined) await checkWritable(results, resultsOptions);
  const classMap = typeof o['class-map'] === 'string' ? await readClassMap(o['class-map']) : undefined;
  const classes = typeof o.classes === 'string' ? await readClassNames(o.classes, `eval: --classes ${o.classes}`) : undefined;
  const ignoreUnknown = o['ignore-unknown-classes'] === true;
  const ds = await loadDataset(o.data, { role: 'eval', split: o.split as string | undefined, classes, unknownClasses: ignoreUnknown ? 'ignore' : 'error' });
  if (ds.description) console.error(`eval: ${ds.description}`);
  // skipped annotations change the ground truth: never silently
  for (const w of (ds.warnings ?? []).slice(0, SHOWN_WARNINGS)) console.error(`eval: warning: ${w}`);
  if ((ds.warnings?.length ?? 0) > SHOWN_WARNINGS) console.error(`eval: warning: ... and ${ds.warnings!.length - SHOWN_WARNINGS} more`);
  const progress = new Progress('eval', Math.min(limit ?? Infinity, ds.images.length));
  // the path or URL itself, not its bytes: errors about the file then name it
  const r = await evaluateModel(o.model, ds, {
    flip: o.flip === true,
    limit,
    detectors,
    classMap,
    unmatchedCategories: ignoreUnknown ? 'ignore' : 'error',
    // a VOC folder read without --classes names only the classes its objects use
    categoriesFromObjects: classes === undefined && (await detectDatasetFormat(o.data)) === 'voc',
    onWarning: (w) => console.error(`eval: warning: ${w}`),
    onProgress: (d) => progress.update(d),
  });
  if (results !== undefined) await writeCocoResults(results, r.results, resultsOptions);
  const metrics = o.voc ? { mAP50_voc07: r.voc07 } : r.coco.stats;
  if (o.json) {
    console.log(JSON.stringify({ model: o.model, data: o.data, images: r.images, msPerImage: r.msPerImage, metrics }, null, 2));
    return;
  }
  for (const [k, v] of Object.entries(metrics)) console.log(`${k.padEnd(12)} ${v === null ? 'n/a' : v.toFixed(3)}`);
  console.log(`${r.images} images, ${r.msPerImage.toFixed(1)} ms/image`);
}
