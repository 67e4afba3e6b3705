// Views of raw detection-head outputs in either layout, so the decoders read NCHW (ONNX, PyTorch)
// and NHWC (ours, TensorFlow.js) alike: [1,H,W,C] | [H,W,C] (NHWC) or [1,C,H,W] | [C,H,W] (NCHW).
// Batch is 1: a decode returns one image's detections; a batch N > 1 is an Error that says to
// decode the images one at a time (slice `data` per image), rather than a guess at what to return.
import { checkTensor, describe, type Tensor } from '../ops/tensor.js';

export type Layout = 'NHWC' | 'NCHW';

/** One image's head output with element strides, read with `at(c, y, x)` whatever the layout. */
export interface HeadView {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly layout: Layout;
  readonly cStride: number;
  readonly yStride: number;
  readonly xStride: number;
}

export function checkLayout(fn: string, layout: unknown): Layout {
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new Error(`${fn}: options.layout must be 'NHWC' or 'NCHW', got ${describeValue(layout)}`);
  return layout;
}

/** Validates `t` (rank 3 or 4, batch 1, no empty axis) and returns its strided view. */
export function headView(fn: string, arg: string, t: unknown, layout: Layout): HeadView {
  checkTensor(fn, arg, t);
  const shape = t.shape;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new Error(`${fn}: ${arg} must have rank 4 (${layout === 'NHWC' ? '[1, H, W, C]' : '[1, C, H, W]'}) or rank 3 without the batch axis, got shape [${shape}]`);
  }
  if (shape.length === 4 && shape[0] !== 1) {
    throw new Error(`${fn}: ${arg} has batch ${shape[0]}; decode one image at a time (pass each image's slice of the data with batch 1)`);
  }
  const [a, b, c] = shape.length === 4 ? shape.slice(1) : shape;
  const [height, width, channels] = layout === 'NHWC' ? [a, b, c] : [b, c, a];
  if (height === 0 || width === 0 || channels === 0) throw new Error(`${fn}: ${arg} has an empty axis: shape [${shape}] (${layout})`);
  if (layout === 'NHWC') return { data: t.data, height, width, channels, layout, cStride: 1, yStride: width * channels, xStride: channels };
  return { data: t.data, height, width, channels, layout, cStride: height * width, yStride: width, xStride: 1 };
}

/** The value of channel c at (y, x). */
export function at(v: HeadView, c: number, y: number, x: number): number {
  return v.data[c * v.cStride + y * v.yStride + x * v.xStride];
}

/** Requires `v` to have the heatmap's height and width and, when given, exactly `channels` channels. */
export function checkSameGrid(fn: string, arg: string, v: HeadView, ref: HeadView, refArg: string, channels?: number | number[]): void {
  if (v.height !== ref.height || v.width !== ref.width) {
    throw new Error(`${fn}: ${arg} is ${v.height}x${v.width} (HxW) but ${refArg} is ${ref.height}x${ref.width}; head outputs must share one grid`);
  }
  if (channels === undefined) return;
  const allowed = Array.isArray(channels) ? channels : [channels];
  if (!allowed.includes(v.channels)) throw new Error(`${fn}: ${arg} must have ${allowed.join(' or ')} channels, got ${v.channels}`);
}

/** The view as an NHWC tensor [1, H, W, C]: shares the data when already NHWC, else a transposed copy. */
export function toNHWC(v: HeadView): Tensor {
  const { height: h, width: w, channels: c } = v;
  if (v.layout === 'NHWC') return { data: v.data, shape: [1, h, w, c] };
  const out = new Float32Array(h * w * c);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let i = 0; i < h * w; i++) out[i * c + ch] = v.data[plane + i];
  }
  return { data: out, shape: [1, h, w, c] };
}

function describeValue(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : describe(v);
}
