// Attention maps -> locations (official att_nms and decode_atts). Each level's map (logits of one
// channel, deepest level first) is squashed by a sigmoid, kept only where it equals its k x k
// neighbourhood maximum, and every cell above the threshold becomes a location in image pixels:
// cell * ratio / viewScale + viewOffset, with the zoom attScale * viewScale, unless the view was
// already zoomed past maxViewScale or the zoom would pass maxZoom.
import type { Tensor } from '../ops/tensor.js';
import type { Location } from './crop.js';

/** One attention level of one view: sigmoid'ed, NMS'ed values [h * w] and the level's stride. */
export interface AttentionLevel {
  values: Float32Array;
  height: number;
  width: number;
  /** Network input pixels per cell (official att_ratios 16, 8, 4). */
  ratio: number;
}

/** sigmoid then att_nms: values that are not the maximum of their kernel x kernel window become 0. */
export function attentionLevel(logits: Tensor, kernel: number, ratio: number): AttentionLevel {
  const [, height, width, channels] = logits.shape;
  if (logits.shape.length !== 4 || channels !== 1) throw new Error(`attentionLevel: expected an attention map [1, h, w, 1], got [${logits.shape}]`);
  const sig = Float32Array.from(logits.data, (v) => 1 / (1 + Math.exp(-v)));
  const values = new Float32Array(height * width);
  const pad = (kernel - 1) >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = sig[y * width + x];
      let max = v;
      for (let dy = -pad; dy <= pad; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -pad; dx <= pad; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width && sig[yy * width + xx] > max) max = sig[yy * width + xx];
        }
      }
      values[y * width + x] = max === v ? v : 0;
    }
  }
  return { values, height, width, ratio };
}

export interface ViewGeometry {
  /** The zoom the view was taken at, and the image pixel of its canvas origin. */
  scale: number;
  offsetY: number;
  offsetX: number;
}

export interface DecodeAttentionOptions {
  imageWidth: number;
  imageHeight: number;
  threshold: number;
  /** Zoom per level, deepest first (official att_scales[round]). */
  attScales: readonly number[];
  /** Crops of later rounds: no location at zoom <= 1 (already seen at that scale). */
  ignoreSame: boolean;
  maxViewScale: number;
  maxZoom: number;
}

/** decode_atts for one view: locations in level order, cells in row-major order within a level. */
export function decodeAttention(levels: readonly AttentionLevel[], view: ViewGeometry, o: DecodeAttentionOptions): Location[] {
  const out: Location[] = [];
  // numpy compares the float32 map with the threshold cast to float32
  const threshold = Math.fround(o.threshold);
  levels.forEach((level, l) => {
    const attScale = o.attScales[l];
    const zoom = attScale * view.scale;
    if ((o.ignoreSame && attScale <= 1) || view.scale > o.maxViewScale || zoom > o.maxZoom) return;
    for (let cy = 0; cy < level.height; cy++) {
      for (let cx = 0; cx < level.width; cx++) {
        const score = level.values[cy * level.width + cx];
        if (!(score > threshold)) continue;
        const y = (cy * level.ratio) / view.scale + view.offsetY;
        const x = (cx * level.ratio) / view.scale + view.offsetX;
        if (y >= 0 && y < o.imageHeight && x >= 0 && x < o.imageWidth) out.push({ y, x, scale: zoom, score });
      }
    }
  });
  return out;
}
