// Horizontal mirror of an NHWC tensor ([N,H,W,C] or [H,W,C]): the flip-test input, and the way back
// for a feature map computed on it. Returns a new tensor; the input is left as it is.
import { checkTensor, type Tensor } from '../ops/tensor.js';

export function flipHorizontal(t: Tensor): Tensor {
  checkTensor('flipHorizontal', 't', t);
  if (t.shape.length !== 3 && t.shape.length !== 4) throw new Error(`flipHorizontal: t must be NHWC [N,H,W,C] or [H,W,C], got shape [${t.shape}]`);
  const [w, c] = t.shape.slice(-2);
  const rows = t.data.length / Math.max(1, w * c);
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * w * c;
    for (let x = 0; x < w; x++) {
      const from = base + x * c;
      const to = base + (w - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) out[to + ch] = t.data[from + ch];
    }
  }
  return { data: out, shape: [...t.shape] };
}
