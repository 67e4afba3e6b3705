// Network inputs and head outputs in the caller's layout: the plan computes NHWC; detector.infer
// also takes and returns NCHW (PyTorch, ONNX). Batch 1, 3 input channels.
import type { Layout } from '../decode/layout.js';
import { checkTensor, type Tensor } from '../ops/tensor.js';
import { firstNonFinite } from '../util/finite.js';

/** Checks a normalised network input ([1,H,W,C] NHWC or [1,C,H,W] NCHW) and returns its size. */
export function checkNetworkInput(fn: string, input: unknown, layout: Layout, channels: number): { height: number; width: number } {
  checkTensor(fn, 'input', input, 4);
  const { shape, data } = input;
  const expected = layout === 'NHWC' ? `[1, H, W, ${channels}]` : `[1, ${channels}, H, W]`;
  const [n, a, b, c] = shape;
  const [height, width, ch] = layout === 'NHWC' ? [a, b, c] : [b, c, a];
  if (n !== 1 || ch !== channels || height < 1 || width < 1) {
    throw new Error(`${fn}: input must have shape ${expected} for layout '${layout}', got [${shape}]`);
  }
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new Error(`${fn}: input.data[${bad}] is ${data[bad]}; a network input must be finite`);
  return { height, width };
}

/** Writes a checked input into `into` as NHWC (a transposed copy for NCHW). */
export function writeNHWC(input: Tensor, layout: Layout, into: Float32Array): void {
  if (layout === 'NHWC') {
    into.set(input.data);
    return;
  }
  const [, c, h, w] = input.shape;
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const src = ch * plane;
    for (let p = 0; p < plane; p++) into[p * c + ch] = input.data[src + p];
  }
}

/** An NHWC [1,H,W,C] tensor in `layout`: itself for NHWC, a transposed copy [1,C,H,W] for NCHW. */
export function fromNHWC(t: Tensor, layout: Layout): Tensor {
  if (layout === 'NHWC') return t;
  const [, h, w, c] = t.shape;
  const plane = h * w;
  const out = new Float32Array(t.data.length);
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < c; ch++) out[ch * plane + p] = t.data[p * c + ch];
  }
  return { data: out, shape: [1, c, h, w] };
}
