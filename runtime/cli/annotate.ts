// Draws detections onto an RGB image: a 2-pixel box outline per detection and a filled label tag
// ("label 0.87") above it, in a colour per class. Pure pixel work on the RGB buffer.
import type { DetectedObject } from '../detector.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font5x7.js';

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

const PALETTE: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
];

export function annotate(image: RgbPixels, dets: readonly DetectedObject[]): RgbPixels {
  const out = { data: image.data.slice(), width: image.width, height: image.height };
  // draw the weakest first so the strongest labels end up on top
  for (const d of [...dets].reverse()) {
    const colour = PALETTE[d.classId % PALETTE.length];
    const x1 = Math.round(d.box.xmin);
    const y1 = Math.round(d.box.ymin);
    const x2 = Math.round(d.box.xmax);
    const y2 = Math.round(d.box.ymax);
    for (let t = 0; t < 2; t++) {
      fillRect(out, x1 - t, y1 - t, x2 + t, y1 - t, colour);
      fillRect(out, x1 - t, y2 + t, x2 + t, y2 + t, colour);
      fillRect(out, x1 - t, y1 - t, x1 - t, y2 + t, colour);
      fillRect(out, x2 + t, y1 - t, x2 + t, y2 + t, colour);
    }
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const tagH = GLYPH_HEIGHT + 4;
    const tagY = y1 - tagH >= 0 ? y1 - tagH : y1;
    fillRect(out, x1, tagY, x1 + text.length * (GLYPH_WIDTH + 1) + 2, tagY + tagH - 1, colour);
    const ink: [number, number, number] = colour[0] * 0.299 + colour[1] * 0.587 + colour[2] * 0.114 > 140 ? [0, 0, 0] : [255, 255, 255];
    drawText(out, text, x1 + 2, tagY + 2, ink);
  }
  return out;
}

function fillRect(img: RgbPixels, x1: number, y1: number, x2: number, y2: number, c: [number, number, number]): void {
  const xa = Math.max(0, Math.min(x1, x2));
  const xb = Math.min(img.width - 1, Math.max(x1, x2));
  const ya = Math.max(0, Math.min(y1, y2));
  const yb = Math.min(img.height - 1, Math.max(y1, y2));
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const i = (y * img.width + x) * 3;
      img.data[i] = c[0];
      img.data[i + 1] = c[1];
      img.data[i + 2] = c[2];
    }
  }
}

function drawText(img: RgbPixels, text: string, x0: number, y0: number, c: [number, number, number]): void {
  for (let k = 0; k < text.length; k++) {
    const rows = glyph(text[k]);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (rows[r] & (1 << (GLYPH_WIDTH - 1 - col))) fillRect(img, x0 + k * (GLYPH_WIDTH + 1) + col, y0 + r, x0 + k * (GLYPH_WIDTH + 1) + col, y0 + r, c);
      }
    }
  }
}
