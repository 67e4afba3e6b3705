// What a user wants to know about a dataset before training on it: how many images, objects and
// classes, per-class counts, how large the boxes are relative to the image and to the model's
// heatmap cells, and which image files are missing or broken.
//
// Box size is the geometric mean side sqrt(w * h). Relative to the image: sqrt(w * h / (W * H)).
// In heatmap cells: the box as the detector sees it (CenterNet: the image's longer side warped onto
// the input, per axis inW / max(W, H) and inH / max(W, H); CornerNet: the image fitted into the
// input, min(inW / W, inH / H)), divided by the output stride. An object whose shorter side covers
// under 2 cells has its centre (or corners) on a heatmap too coarse to separate it from neighbours.
import { stat } from 'node:fs/promises';
import type { ModelConfig } from '../../runtime/model/config.js';
import { readImageRGB, readImageSize } from './image-io.js';
import type { Dataset } from './types.js';

/** How the model sees the images: its input size, output stride and kind of preprocessing. */
export interface ModelView {
  name: string;
  detector: ModelConfig['detector'];
  /** [height, width] */
  inputSize: [number, number];
  stride: number;
}

export interface Histogram {
  /** Bin edges, length bins + 1; values below the first edge count in the first bin, above the last in the last. */
  edges: number[];
  counts: number[];
}

export interface DatasetSummary {
  description: string;
  images: number;
  objects: number;
  classes: number;
  imagesWithoutObjects: number;
  perClass: { name: string; objects: number; images: number; difficult: number; crowd: number; truncated: number }[];
  /** Quantiles of the relative box size sqrt(w h / (W H)). */
  relativeSize: { min: number; p10: number; median: number; p90: number; max: number } | null;
  /** Quantiles of the shorter box side in heatmap cells. */
  cells: { min: number; p10: number; median: number; p90: number; max: number } | null;
  model: ModelView;
  /** Objects whose shorter side is under 2 heatmap cells. */
  below2Cells: number;
  relativeHistogram: Histogram;
  cellHistogram: Histogram;
  files: {
    missing: string[];
    /** Files whose header (or, with decode, pixels) cannot be read, with the reason. */
    broken: { file: string; reason: string }[];
    /** Files whose size differs from the annotations'. */
    sizeMismatch: { file: string; file_size: string; annotated: string }[];
  };
  warnings: string[];
}

export interface SummaryOptions {
  /** Decode every image fully (finds truncated files; slower). Default false: headers only. */
  decode?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Half-octave bins: relative sizes 2^-8 .. 1, cells 2^-2 .. 2^8. */
const RELATIVE_EDGES = Array.from({ length: 17 }, (_, i) => 2 ** (-8 + i / 2));
const CELL_EDGES = Array.from({ length: 21 }, (_, i) => 2 ** (-2 + i / 2));

export function histogram(values: readonly number[], edges: readonly number[]): Histogram {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    let b = 0;
    while (b < counts.length - 1 && v >= edges[b + 1]) b++;
    counts[b]++;
  }
  return { edges: [...edges], counts };
}

function quantiles(values: number[]): DatasetSummary['relativeSize'] {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { min: s[0], p10: q(0.1), median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
}

/** Per-axis scale from image pixels to network-input pixels (see the file header). */
export function inputScale(model: ModelView, width: number, height: number): [number, number] {
  const [inH, inW] = model.inputSize;
  if (model.detector === 'centernet') {
    const side = Math.max(width, height);
    return [inW / side, inH / side];
  }
  const fit = Math.min(inW / width, inH / height);
  return [fit, fit];
}

export async function summarizeDataset(ds: Dataset, model: ModelView, options: SummaryOptions = {}): Promise<DatasetSummary> {
  const perClass = ds.labels.map((name) => ({ name, objects: 0, images: 0, difficult: 0, crowd: 0, truncated: 0 }));
  const relative: number[] = [];
  const cells: number[] = [];
  let objects = 0;
  let empty = 0;
  for (const img of ds.images) {
    objects += img.boxes.length;
    if (img.boxes.length === 0) empty++;
    const [sx, sy] = inputScale(model, img.width, img.height);
    const seen = new Set<number>();
    img.boxes.forEach(([x1, y1, x2, y2], j) => {
      const c = perClass[img.classIds[j]];
      c.objects++;
      if (img.difficult[j]) c.difficult++;
      if (img.iscrowd[j]) c.crowd++;
      if (img.truncated?.[j]) c.truncated++;
      seen.add(img.classIds[j]);
      const w = x2 - x1;
      const h = y2 - y1;
      relative.push(Math.sqrt((w * h) / (img.width * img.height)));
      cells.push(Math.min((w * sx) / model.stride, (h * sy) / model.stride));
    });
    for (const c of seen) perClass[c].images++;
  }
  const files = await checkFiles(ds, options);
  return {
    description: ds.description ?? `${ds.images.length} images`,
    images: ds.images.length,
    objects,
    classes: ds.labels.length,
    imagesWithoutObjects: empty,
    perClass,
    relativeSize: quantiles(relative),
    cells: quantiles(cells),
    model,
    below2Cells: cells.filter((c) => c < 2).length,
    relativeHistogram: histogram(relative, RELATIVE_EDGES),
    cellHistogram: histogram(cells, CELL_EDGES),
    files,
    warnings: [...ds.warnings],
  };
}

async function checkFiles(ds: Dataset, options: SummaryOptions): Promise<DatasetSummary['files']> {
  const files: DatasetSummary['files'] = { missing: [], broken: [], sizeMismatch: [] };
  for (const [i, img] of ds.images.entries()) {
    const info = await stat(img.file).catch(() => undefined);
    if (!info?.isFile()) files.missing.push(img.file);
    else {
      try {
        const size = options.decode ? await readImageRGB(img.file) : await readImageSize(img.file);
        if (size.width !== img.width || size.height !== img.height) {
          files.sizeMismatch.push({ file: img.file, file_size: `${size.width}x${size.height}`, annotated: `${img.width}x${img.height}` });
        }
      } catch (e) {
        files.broken.push({ file: img.file, reason: (e as Error).message.replace(`image ${img.file}: `, '') });
      }
    }
    options.onProgress?.(i + 1, ds.images.length);
  }
  return files;
}

const pct = (k: number, n: number) => (n === 0 ? '0%' : `${((100 * k) / n).toFixed(1)}%`);
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The summary as the lines `anchorless data` prints. */
export function formatSummary(s: DatasetSummary): string {
  const out: string[] = [s.description, ''];
  out.push(`images   ${s.images} (${s.imagesWithoutObjects} without objects)`);
  out.push(`objects  ${s.objects}`);
  out.push(`classes  ${s.classes}`);
  out.push('');
  const width = Math.max(5, ...s.perClass.map((c) => c.name.length));
  out.push(`${'class'.padEnd(width)}  objects   images  difficult  crowd  truncated`);
  for (const c of s.perClass) {
    out.push(`${c.name.padEnd(width)}  ${String(c.objects).padStart(7)}  ${String(c.images).padStart(7)}  ${String(c.difficult).padStart(9)}  ${String(c.crowd).padStart(5)}  ${String(c.truncated).padStart(9)}`);
  }
  out.push('');
  if (s.relativeSize && s.cells) {
    const r = s.relativeSize;
    const c = s.cells;
    out.push(`box size sqrt(w*h) / sqrt(W*H): min ${fmt(r.min)}  p10 ${fmt(r.p10)}  median ${fmt(r.median)}  p90 ${fmt(r.p90)}  max ${fmt(r.max)}`);
    out.push(`shorter box side in heatmap cells (${s.model.name}, input ${s.model.inputSize[1]}x${s.model.inputSize[0]}, stride ${s.model.stride}): min ${fmt(c.min)}  p10 ${fmt(c.p10)}  median ${fmt(c.median)}  p90 ${fmt(c.p90)}  max ${fmt(c.max)}`);
    out.push(`objects below 2 heatmap cells: ${s.below2Cells} of ${s.objects} (${pct(s.below2Cells, s.objects)})${s.below2Cells > 0 ? ': a larger --input-size would help them' : ''}`);
  } else out.push('no objects: no box sizes');
  out.push('');
  const { missing, broken, sizeMismatch } = s.files;
  out.push(`files: ${missing.length} missing, ${broken.length} broken, ${sizeMismatch.length} with another size than annotated`);
  for (const f of missing.slice(0, 5)) out.push(`  missing: ${f}`);
  for (const f of broken.slice(0, 5)) out.push(`  broken: ${f.file}: ${f.reason}`);
  for (const f of sizeMismatch.slice(0, 5)) out.push(`  size: ${f.file} is ${f.file_size}, annotated ${f.annotated}`);
  for (const w of s.warnings.slice(0, 5)) out.push(`warning: ${w}`);
  if (s.warnings.length > 5) out.push(`warning: ... and ${s.warnings.length - 5} more`);
  return out.join('\n');
}
