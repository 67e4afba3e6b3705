// The convolution geometry of a TF.js gradient kernel call, computed by tfjs itself
// (backend_util.computeConv2DInfo, as its cpu and wasm kernels do) and turned into the explicit
// [top, bottom, left, right] padding our kernels take. With dimRoundingMode 'ceil' (or 'round'
// rounding up) tfjs's last output row reaches past the padded input; the extra rows are zeros, so
// the bottom/right padding is grown until the floor formula our kernels use gives tfjs's size.
import type { TF } from '../backend.js';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvAttrs {
  strides?: unknown;
  dilations?: unknown;
  pad?: unknown;
  dimRoundingMode?: unknown;
}

export interface GradGeometry {
  /** Conv input [n, h, w, cin]. */
  inShape: Shape4;
  /** Conv output [n, oh, ow, cout] (the shape of dy). */
  outShape: Shape4;
  /** The filter as tfjs shapes it: [kh, kw, cin, cout], or [kh, kw, cin, multiplier] when depthwise. */
  filterShape: Shape4;
  stride: [number, number];
  dilation: [number, number];
  /** [top, bottom, left, right], bottom/right possibly grown (see above). */
  pad: [number, number, number, number];
  /** True when some dimension is 0: the gradient is all zeros (or empty) and no kernel runs. */
  empty: boolean;
}

export function shape4(op: string, name: string, v: unknown): Shape4 {
  if (!Array.isArray(v) || v.length !== 4 || !v.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${name} must be 4 non-negative integers (NHWC / HWIO), got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2], v[3]];
}

export function gradGeometry(tf: TF, op: string, inShape: Shape4, filterShape: Shape4, attrs: ConvAttrs, depthwise: boolean): GradGeometry {
  const rounding = attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
  if (rounding !== undefined && rounding !== 'floor' && rounding !== 'round' && rounding !== 'ceil') {
    throw new Error(`${op}: dimRoundingMode must be 'floor', 'round' or 'ceil', got ${JSON.stringify(rounding)}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape, filterShape, (attrs.strides ?? 1) as number | [number, number], (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as Pad, rounding, depthwise, 'channelsLast',
  );
  const ints = [info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth];
  if (!ints.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: strides and dilations must be positive integers, got strides ${JSON.stringify(attrs.strides)}, dilations ${JSON.stringify(attrs.dilations)}`);
  }
  const { top, left } = info.padInfo;
  if (!(top >= 0 && left >= 0 && info.padInfo.bottom >= 0 && info.padInfo.right >= 0)) {
    throw new Error(`${op}: padding must not be negative, got ${JSON.stringify(info.padInfo)}`);
  }
  const { outHeight: oh, outWidth: ow } = info;
  const bottom = Math.max(info.padInfo.bottom, (oh - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight - top);
  const right = Math.max(info.padInfo.right, (ow - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth - left);
  const outShape = info.outShape as Shape4;
  const empty = [...inShape, ...filterShape, ...outShape].some((d) => d === 0);
  if (!empty && (oh < 1 || ow < 1)) {
    throw new Error(`${op}: the ${info.filterHeight}x${info.filterWidth} filter does not fit the ${info.inHeight}x${info.inWidth} input (output ${oh}x${ow})`);
  }
  return {
    inShape, outShape, filterShape,
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    pad: [top, bottom, left, right],
    empty,
  };
}

/** Throws unless `shape` (of argument `name`) is `want`. */
export function checkShape(op: string, name: string, shape: readonly number[], want: readonly number[], what: string): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: ${name} has shape [${shape}] but ${what} is [${want}]`);
  }
}

/** A dilations attribute that means no dilation: 1 or all ones. */
export function isOne(d: unknown): boolean {
  return d === 1 || (Array.isArray(d) && d.every((v) => v === 1));
}
