// Tiny hand-made head outputs for decoder tests: an NHWC [1, H, W, C] map that is `fill` everywhere
// except the listed cells.
import type { Tensor } from '../../runtime/ops/tensor.js';

export type Cell = [y: number, x: number, c: number, value: number];

export function map(h: number, w: number, c: number, cells: Cell[] = [], fill = 0): Tensor {
  const data = new Float32Array(h * w * c).fill(fill);
  for (const [y, x, ch, v] of cells) data[(y * w + x) * c + ch] = v;
  return { data, shape: [1, h, w, c] };
}
