// DCNv2 (modulated deformable conv, one offset group) from differentiable TensorFlow.js ops, NHWC:
// x [n, h, w, cin], offset [n, oh, ow, 2 kh kw] (channel 2t = dy, 2t + 1 = dx of tap t = i kw + j),
// mask [n, oh, ow, kh kw] (already in [0, 1]), w HWIO [kh, kw, cin, cout] -> [n, oh, ow, cout], no bias.
// Tap t of output (oy, ox) samples x bilinearly at (oy s - p + i d + dy, ox s - p + j d + dx); each of
// the four neighbours outside the image counts 0 (so a sample at or beyond -1 / H is 0, as
// torchvision's deform_conv2d). The samples of all taps, times the mask, are one [n oh ow, kh kw cin]
// matrix, and the weight contraction one matmul with w viewed as [kh kw cin, cout].
// Gradients reach x (through the gather), w, and the offsets (through the bilinear weights) and mask.

import type { GradSaveFunc, NamedAttrMap, Tensor, Tensor2D, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

/**
 * The columns (the samples of all taps times the mask, [n oh ow, kh kw cin]) as one kernel, and its
 * gradients as two: where a backend registers them (cpu and wasm: deform-conv-kernels.ts; webgpu:
 * trainer/webgpu-kernels/deform-conv.ts) the layer runs them instead of its op-by-op form below,
 * which stays the reference (tests) and the path of any other backend.
 * Inputs x, offset, mask (and dcols, the columns' gradient, for the gradients); attributes
 * kernelH, kernelW, stride, pad, dilation.
 */
export const DEFORM_COLUMNS = 'AnchorlessDeformColumns';
/** -> dx, x's shape. */
export const DEFORM_COLUMNS_GRAD_X = 'AnchorlessDeformColumnsGradX';
/** -> [n, oh, ow, 3 kh kw]: the offsets' gradient in the first 2 kh kw channels, the mask's in the rest. */
export const DEFORM_COLUMNS_GRAD_OFFSET_MASK = 'AnchorlessDeformColumnsGradOffsetMask';

export interface DeformGeometry {
  stride: number;
  pad: number;
  dilation: number;
}

export interface DeformColumnsArgs {
  x: TensorInfo;
  offset: TensorInfo;
  mask: TensorInfo;
  dcols?: TensorInfo;
  n: number;
  h: number;
  w: number;
  cin: number;
  oh: number;
  ow: number;
  kw: number;
  taps: number;
  points: number;
  stride: number;
  pad: number;
  dilation: number;
}

/** Output rows (or columns) of a deformable conv over `size` input rows (columns) with a kernel side of k. */
function outputSide(size: number, k: number, g: DeformGeometry): number {
  return Math.floor((size + 2 * g.pad - g.dilation * (k - 1) - 1) / g.stride) + 1;
}

/** Checks a call of the three deformable-sampling kernels (`op`, with dcols when `gradient`). */
export function deformColumnsArgs(op: string, inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap, gradient: boolean): DeformColumnsArgs {
  const names = gradient ? ['x', 'offset', 'mask', 'dcols'] : ['x', 'offset', 'mask'];
  for (const name of names) {
    const t = inputs[name];
    if (!t) throw new Error(`${op}: input ${name} is missing`);
    if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
  }
  const int = (name: string, min: number): number => {
    const v = attrs[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${op}: attribute ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const [kh, kw, stride, pad, dilation] = [int('kernelH', 1), int('kernelW', 1), int('stride', 1), int('pad', 0), int('dilation', 1)];
  const x = inputs.x!;
  if (x.shape.length !== 4) throw new Error(`${op}: x must be NHWC (rank 4), got shape [${x.shape}]`);
  const [n, h, w, cin] = x.shape;
  const [oh, ow] = [outputSide(h, kh, { stride, pad, dilation }), outputSide(w, kw, { stride, pad, dilation })];
  if (oh < 1 || ow < 1) throw new Error(`${op}: a ${kh}x${kw} kernel (pad ${pad}, dilation ${dilation}) does not fit x [${x.shape}]`);
  const taps = kh * kw;
  const points = n * oh * ow;
  const want: Record<string, number[]> = { offset: [n, oh, ow, 2 * taps], mask: [n, oh, ow, taps], dcols: [points, taps * cin] };
  for (const name of names.slice(1)) {
    if (inputs[name]!.shape.join() !== want[name].join()) throw new Error(`${op}: ${name} must be [${want[name]}] for x [${x.shape}], got [${inputs[name]!.shape}]`);
  }
  return { x, offset: inputs.offset!, mask: inputs.mask!, dcols: inputs.dcols, n, h, w, cin, oh, ow, kw, taps, points, stride, pad, dilation };
}

/** Where the backend has the deformable-sampling kernels, the columns [n oh ow, kh kw cin] from them. */
function fusedColumns(tf: TF, x: Tensor4D, offset: Tensor4D, mask: Tensor4D, attrs: NamedAttrMap): Tensor2D {
  const taps = mask.shape[3];
  const columns = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const [xs, offs, masks] = args as Tensor[];
    (args[3] as GradSaveFunc)([xs, offs, masks]);
    const inputs = { x: xs, offset: offs, mask: masks };
    const value = tf.engine().runKernel(DEFORM_COLUMNS, inputs, attrs) as Tensor2D;
    const gradFunc = (dcols: Tensor, saved: Tensor[]) => {
      const [sx, so, sm] = saved;
      const grads = { dcols, x: sx, offset: so, mask: sm };
      const dx = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, grads, attrs) as Tensor;
      const dom = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_OFFSET_MASK, grads, attrs) as Tensor4D;
      const [n, oh, ow] = dom.shape;
      return [dx, tf.slice(dom, [0, 0, 0, 0], [n, oh, ow, 2 * taps]), tf.slice(dom, [0, 0, 0, 2 * taps], [n, oh, ow, taps])];
    };
    return { value, gradFunc };
  });
  return columns(x, offset, mask) as Tensor2D;
}

/** opts.opByOp runs the op-by-op form even where the backend has the fused kernels (tests). */
export function deformConv2dTorch(tf: TF, x: Tensor4D, offset: Tensor4D, mask: Tensor4D, w: Tensor4D, g: DeformGeometry, opts: { opByOp?: boolean } = {}): Tensor4D {
  const op = 'deformConv2dTorch';
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cinW, cout] = w.shape;
  if (cinW !== cin) throw new Error(`${op}: x has ${cin} channels but w [${w.shape}] takes ${cinW}`);
  const taps = kh * kw;
  const [oh, ow] = [outputSide(h, kh, g), outputSide(wd, kw, g)];
  const want = (c: number) => `[${n}, ${oh}, ${ow}, ${c}]`;
  if (offset.shape.join() !== [n, oh, ow, 2 * taps].join()) throw new Error(`${op}: offset must be ${want(2 * taps)}, got [${offset.shape}]`);
  if (mask.shape.join() !== [n, oh, ow, taps].join()) throw new Error(`${op}: mask must be ${want(taps)}, got [${mask.shape}]`);
  const points = n * oh * ow;
  if (!opts.opByOp && tf.getKernel(DEFORM_COLUMNS, tf.getBackend())) {
    const attrs = { kernelH: kh, kernelW: kw, stride: g.stride, pad: g.pad, dilation: g.dilation };
    // The weight contraction as a 1x1 conv: its weight gradient (a sum over every point into a
    // small output) is then the backend's conv weight gradient, ours on wasm and webgpu, where
    // tfjs-backend-webgpu's MatMul would split it with float atomics (not the same from run to
    // run); and the wasm backend runs the conv and its input gradient on our kernels, its MatMul
    // on XNNPACK (centernet-dla34, 128 px, batch 4, the same process alternating: 2.3 s a step
    // against 3.6 s; on lavapipe both forms 15-16 s at batch 2).
    return tf.tidy(() => tf.conv2d(tf.reshape(fusedColumns(tf, x, offset, mask, attrs), [n, oh, ow, taps * cin]) as Tensor4D, tf.reshape(w, [1, 1, taps * cin, cout]) as Tensor4D, 1, 'valid'));
  }
  return tf.tidy(() => {
    // Undeformed sampling position of every (output pixel, tap), and the image's first row.
    const baseY = new Float32Array(points * taps);
    const baseX = new Float32Array(points * taps);
    const imageRow = new Int32Array(points * taps);
    for (let b = 0, p = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, p++) {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const t = p * taps + i * kw + j;
              baseY[t] = oy * g.stride - g.pad + i * g.dilation;
              baseX[t] = ox * g.stride - g.pad + j * g.dilation;
              imageRow[t] = b * h * wd;
            }
          }
        }
      }
    }
    const off = tf.reshape(offset, [points, taps, 2]);
    const py = tf.add(tf.tensor2d(baseY, [points, taps]), tf.reshape(tf.slice(off, [0, 0, 0], [points, taps, 1]), [points, taps]));
    const px = tf.add(tf.tensor2d(baseX, [points, taps]), tf.reshape(tf.slice(off, [0, 0, 1], [points, taps, 1]), [points, taps]));
    const y0 = tf.floor(py);
    const x0 = tf.floor(px);
    const ly = tf.sub(py, y0); // floor has a zero gradient: d ly / d dy = 1
    const lx = tf.sub(px, x0);
    const m = tf.reshape(mask, [points, taps]);
    const rowBase = tf.tensor2d(imageRow, [points, taps], 'int32');
    const rows: Tensor[] = [];
    const weights: Tensor[] = [];
    for (const [ay, ax] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const yy = ay ? tf.add(y0, 1) : y0;
      const xx = ax ? tf.add(x0, 1) : x0;
      // 0 <= yy <= h - 1 and 0 <= xx <= w - 1 from GreaterEqual and Cast only: the ops on the
      // gradient's path need gradient functions (zeros here), which Less and LogicalAnd lack
      const inside = [yy, tf.sub(h - 1, yy), xx, tf.sub(wd - 1, xx)].map((v) => tf.cast(tf.greaterEqual(v, 0), 'float32')).reduce((a, b) => tf.mul(a, b));
      // outside neighbours read row 0 with weight 0
      const yi = tf.cast(tf.clipByValue(yy, 0, h - 1), 'int32');
      const xi = tf.cast(tf.clipByValue(xx, 0, wd - 1), 'int32');
      rows.push(tf.add(rowBase, tf.add(tf.mul(yi, tf.scalar(wd, 'int32')), xi)));
      const wy = ay ? ly : tf.sub(1, ly);
      const wx = ax ? lx : tf.sub(1, lx);
      weights.push(tf.mul(tf.mul(tf.mul(wy, wx), inside), m));
    }
    const index = tf.reshape(tf.stack(rows), [4 * points * taps]);
    const gathered = tf.reshape(gatherRows(tf, tf.reshape(x, [n * h * wd, cin]) as Tensor2D, index), [4, points, taps, cin]);
    const sampled = tf.sum(tf.mul(gathered, tf.reshape(tf.stack(weights), [4, points, taps, 1])), 0);
    const y = tf.matMul(tf.reshape(sampled, [points, taps * cin]) as Tensor2D, tf.reshape(w, [taps * cin, cout]) as Tensor2D);
    return tf.reshape(y, [n, oh, ow, cout]);
  });
}

/**
 * Rows `index` of x [r, c] -> [m, c]. tf.gather's own gradient is an UnsortedSegmentSum (one pass
 * per segment on cpu, missing on wasm); a single ScatterNd adds repeated rows' gradients instead.
 */
function gatherRows(tf: TF, x: Tensor2D, index: Tensor): Tensor2D {
  const [r, c] = x.shape;
  const m = index.shape[0];
  const gather = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const xs = args[0] as Tensor2D;
    const save = args[1] as GradSaveFunc;
    save([index]);
    const value = tf.gather(xs, index);
    const gradFunc = (dy: Tensor, saved: Tensor[]) => tf.scatterND(tf.reshape(saved[0], [m, 1]), dy, [r, c]);
    return { value, gradFunc };
  });
  return gather(x) as Tensor2D;
}
