// The picture `anchorless data` writes: one SVG with a grid of a few images (embedded as base64
// PNG thumbnails) with their boxes and class names drawn, and the two box-size histograms of the
// summary (relative to the image; shorter side in heatmap cells, with the 2-cell line). An SVG
// opens in any browser and stays one self-contained file.
import sharp from 'sharp';
import { escapeXml } from '../../runtime/util/escape-xml.js';
import type { Histogram, DatasetSummary } from './summary.js';
import type { Dataset, DatasetImage } from './types.js';

export interface PictureOptions {
  /** Images in the grid (default 8): the first ones with objects, in dataset order. */
  images?: number;
  /** Thumbnail side in pixels (default 192). */
  thumb?: number;
  columns?: number;
}

/** A distinct hue per class (golden-angle steps), the same in every picture. */
export const classColour = (c: number) => `hsl(${Math.round((c * 137.508) % 360)}, 85%, 45%)`;

export async function datasetPicture(ds: Dataset, summary: DatasetSummary, options: PictureOptions = {}): Promise<string> {
  const count = options.images ?? 8;
  const thumb = options.thumb ?? 192;
  const columns = options.columns ?? 4;
  const unusable = new Set([...summary.files.missing, ...summary.files.broken.map((b) => b.file)]);
  const chosen = ds.images.filter((im) => im.boxes.length > 0 && !unusable.has(im.file)).slice(0, count);
  const caption = 16;
  const gap = 8;
  const cellW = thumb + gap;
  const cellH = thumb + caption + gap;
  const rows = Math.ceil(chosen.length / columns);
  const gridW = Math.max(1, Math.min(columns, chosen.length)) * cellW + gap;
  const histW = 420;
  const histH = 170;
  const width = Math.max(gridW, 2 * histW + 3 * gap);
  const top = 28;
  const histTop = top + rows * cellH + gap;
  const height = histTop + histH + gap;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${gap}" y="18" font-size="13">${escapeXml(`${summary.images} images, ${summary.objects} objects, ${summary.classes} classes`)}</text>`,
  ];
  for (const [k, img] of chosen.entries()) {
    const x = gap + (k % columns) * cellW;
    const y = top + Math.floor(k / columns) * cellH;
    parts.push(await imageCell(img, ds.labels, x, y, thumb));
  }
  parts.push(histogramSvg(summary.relativeHistogram, 'box size sqrt(w*h) / image size', gap, histTop, histW, histH));
  parts.push(histogramSvg(summary.cellHistogram, `shorter side in heatmap cells (stride ${summary.model.stride}, input ${summary.model.inputSize[1]}x${summary.model.inputSize[0]})`, 2 * gap + histW, histTop, histW, histH, 2));
  parts.push('</svg>\n');
  return parts.join('\n');
}

async function imageCell(img: DatasetImage, labels: readonly string[], x: number, y: number, thumb: number): Promise<string> {
  const scale = Math.min(thumb / img.width, thumb / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const png = await sharp(img.file).removeAlpha().resize(w, h, { fit: 'fill' }).png().toBuffer();
  const out = [
    `<g transform="translate(${x},${y})">`,
    `<image width="${w}" height="${h}" href="data:image/png;base64,${png.toString('base64')}"/>`,
  ];
  img.boxes.forEach(([x1, y1, x2, y2], j) => {
    const colour = classColour(img.classIds[j]);
    const dash = img.difficult[j] || img.iscrowd[j] ? ' stroke-dasharray="3,2"' : '';
    const r = (v: number) => (v * scale).toFixed(1);
    out.push(`<rect x="${r(x1)}" y="${r(y1)}" width="${r(x2 - x1)}" height="${r(y2 - y1)}" fill="none" stroke="${colour}" stroke-width="1.5"${dash}/>`);
    out.push(`<text x="${r(x1)}" y="${Math.max(9, y1 * scale - 2).toFixed(1)}" fill="${colour}" font-size="9">${escapeXml(labels[img.classIds[j]] ?? String(img.classIds[j]))}</text>`);
  });
  out.push(`<text x="0" y="${thumb + 12}">${escapeXml(String(img.id))} (${img.width}x${img.height}, ${img.boxes.length})</text>`, '</g>');
  return out.join('\n');
}

function histogramSvg(hist: Histogram, title: string, x: number, y: number, w: number, h: number, markAt?: number): string {
  const padL = 36;
  const padB = 28;
  const plotW = w - padL - 6;
  const plotH = h - padB - 18;
  const max = Math.max(1, ...hist.counts);
  const barW = plotW / hist.counts.length;
  const out = [`<g transform="translate(${x},${y})">`, `<text x="0" y="11">${escapeXml(title)}</text>`];
  const base = 18 + plotH;
  hist.counts.forEach((c, b) => {
    const bh = (c / max) * plotH;
    out.push(`<rect x="${(padL + b * barW + 1).toFixed(1)}" y="${(base - bh).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="steelblue"><title>${c}</title></rect>`);
  });
  out.push(`<line x1="${padL}" y1="${base}" x2="${padL + plotW}" y2="${base}" stroke="black"/>`);
  out.push(`<text x="${padL - 4}" y="${18 + 9}" text-anchor="end">${max}</text>`, `<text x="${padL - 4}" y="${base}" text-anchor="end">0</text>`);
  // every other edge labelled (whole octaves)
  hist.edges.forEach((e, b) => {
    if (b % 2 !== 0) return;
    const label = e >= 1 ? String(Math.round(e)) : `1/${Math.round(1 / e)}`;
    out.push(`<text x="${(padL + b * barW).toFixed(1)}" y="${base + 12}" text-anchor="middle" font-size="9">${label}</text>`);
  });
  if (markAt !== undefined) {
    const b = hist.edges.findIndex((e) => e >= markAt);
    if (b >= 0) {
      const mx = (padL + b * barW).toFixed(1);
      out.push(`<line x1="${mx}" y1="18" x2="${mx}" y2="${base}" stroke="crimson" stroke-dasharray="4,3"/>`, `<text x="${mx}" y="${base + 24}" fill="crimson" text-anchor="middle" font-size="9">${markAt} cells</text>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}
