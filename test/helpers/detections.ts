// Compares decoded detections with PyTorch rows [x1, y1, x2, y2, score, class] as multisets:
// each expected row must be matched by a distinct detection of the same class whose score is
// within 1e-4 relative and whose box is within 1e-4 (relative, floor 1 feature cell).
import type { Detection } from '../../runtime/decode/boxes.js';

const close = (a: number, b: number, floor: number) => Math.abs(a - b) / Math.max(Math.abs(b), floor) <= 1e-4;

export function matchRows(dets: readonly Detection[], rows: readonly number[][], scale = 1): string | undefined {
  if (dets.length !== rows.length) return `got ${dets.length} detections, expected ${rows.length}`;
  for (let i = 1; i < dets.length; i++) {
    if (dets[i].score > dets[i - 1].score) return `not score-descending at ${i}: ${dets[i - 1].score} then ${dets[i].score}`;
  }
  const used = new Set<number>();
  for (const [r, row] of rows.entries()) {
    const [x1, y1, x2, y2, score, cls] = row;
    const found = dets.findIndex(
      (d, i) =>
        !used.has(i) &&
        d.classId === cls &&
        close(d.score, score, 1e-3) &&
        close(d.box.xmin, x1 * scale, scale) &&
        close(d.box.ymin, y1 * scale, scale) &&
        close(d.box.xmax, x2 * scale, scale) &&
        close(d.box.ymax, y2 * scale, scale),
    );
    if (found < 0) return `expected row ${r} [${row.join(', ')}] has no matching detection (nearest by score: ${JSON.stringify(nearest(dets, score))})`;
    used.add(found);
  }
  return undefined;
}

function nearest(dets: readonly Detection[], score: number): Detection | undefined {
  return [...dets].sort((a, b) => Math.abs(a.score - score) - Math.abs(b.score - score))[0];
}
