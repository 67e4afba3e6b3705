// Max pooling (PyTorch MaxPool2d: square window, -infinity padding, floor rounding) as two kernels,
// forward and backward, for the cpu and wasm backends. The op-by-op form (torch-ops.ts: tf.pad with
// -infinity, then tf.maxPool 'valid') pads a copy of the input, and on the wasm backend its gradient
// is TF.js's MaxPoolGrad, ~17 ms of a centernet-tiny step of ~490 ms for one 3x3 pool over
// [8, 64, 64, 16]. The JavaScript here is the spec and what the cpu backend runs; the wasm backend
// runs the main module's maxPool2dNhwc forward (what inference runs) and the training module's
// maxPoolBackward (assembly/train.ts), equal to it bit for bit.
//
// The gradient goes to the first maximum of each window in row-major order (PyTorch's and TF.js's
// rule: a later equal value does not replace it), summed in float32 over the windows in output
// order where windows overlap.
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const MAX_POOL = 'AnchorlessMaxPool';
export const MAX_POOL_GRAD = 'AnchorlessMaxPoolGrad';

export interface MaxPoolGeometry {
  /** The input's shape. */
  shape: [number, number, number, number];
  kernel: number;
  stride: number;
  pad: number;
  /** Output height and width. */
  oh: number;
  ow: number;
}

/**
 * Calls `visit` for each output pixel in output order: its batch index, its offset in the output
 * ([n, oh, ow, c] elements) and its window clipped to the image, rows y0..y1 and columns x0..x1
 * (exclusive ends): what -infinity padding means.
 */
function eachWindow(g: MaxPoolGeometry, visit: (b: number, out: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  const [n, h, w, c] = g.shape;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      const y0 = Math.max(oy * g.stride - g.pad, 0);
      const y1 = Math.min(oy * g.stride - g.pad + g.kernel, h);
      for (let ox = 0; ox < g.ow; ox++) {
        const x0 = Math.max(ox * g.stride - g.pad, 0);
        visit(b, ((b * g.oh + oy) * g.ow + ox) * c, y0, y1, x0, Math.min(ox * g.stride - g.pad + g.kernel, w));
      }
    }
  }
}

/** y [n, oh, ow, c]: the maximum of each window clipped to the image (-infinity padding); NaN propagates. */
export function maxPoolForward(x: Float32Array, g: MaxPoolGeometry, y: Float32Array): void {
  const [, h, w, c] = g.shape;
  eachWindow(g, (b, dst, y0, y1, x0, x1) => {
    for (let k = 0; k < c; k++) {
      let m = -Infinity;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) m = Math.max(m, x[((b * h + yy) * w + xx) * c + k]);
      y[dst + k] = m;
    }
  });
}

/** dx [n, h, w, c]: each window's dy added (float32) at its first maximum, windows in output order. */
export function maxPoolBackward(dy: Float32Array, x: Float32Array, g: MaxPoolGeometry, dx: Float32Array): void {
  const [, h, w, c] = g.shape;
  dx.fill(0);
  eachWindow(g, (b, src, y0, y1, x0, x1) => {
    for (let k = 0; k < c; k++) {
      let at = ((b * h + y0) * w + x0) * c + k;
      let m = x[at];
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const i = ((b * h + yy) * w + xx) * c + k;
          if (x[i] > m) {
            m = x[i];
            at = i;
          }
        }
      }
      dx[at] = Math.fround(dx[at] + dy[src + k]);
    }
  });
}

/**
 * Checks a max-pool kernel call: x [n, h, w, c] float32 (and dy [n, oh, ow, c] for the gradient),
 * attributes kernel >= 1, stride >= 1, 0 <= pad <= kernel / 2 (PyTorch's limit, which keeps every
 * window on the image). Returns the geometry.
 */
export function maxPoolAttrs(op: string, x: TensorInfo | undefined, attrs: NamedAttrMap, dy?: TensorInfo): MaxPoolGeometry {
  if (!x) throw new Error(`${op}: input x is missing`);
  if (x.dtype !== 'float32') throw new Error(`${op}: x must be float32, got ${x.dtype}`);
  if (x.shape.length !== 4) throw new Error(`${op}: x must be NHWC (rank 4), got shape [${x.shape}]`);
  const int = (name: string, min: number) => {
    const v = attrs[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${op}: attribute ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const kernel = int('kernel', 1);
  const stride = int('stride', 1);
  const pad = int('pad', 0);
  if (2 * pad > kernel) throw new Error(`${op}: pad ${pad} must be at most half the kernel ${kernel}`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad - kernel) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kernel) / stride) + 1;
  if (!(oh >= 1 && ow >= 1)) throw new Error(`${op}: x [${x.shape}] is smaller than the ${kernel}x${kernel} window with padding ${pad}`);
  if (dy !== undefined) {
    if (dy.dtype !== 'float32') throw new Error(`${op}: dy must be float32, got ${dy.dtype}`);
    if (dy.shape.join() !== [n, oh, ow, c].join()) throw new Error(`${op}: dy has shape [${dy.shape}], the pooling of x [${x.shape}] gives [${[n, oh, ow, c]}]`);
  }
  return { shape: [n, h, w, c], kernel, stride, pad, oh, ow };
}

const forwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const x = args.inputs.x as TensorInfo;
  const g = maxPoolAttrs(MAX_POOL, x, args.attrs as NamedAttrMap);
  const out = [g.shape[0], g.oh, g.ow, g.shape[3]];
  const y = new Float32Array(out.reduce((a, b) => a * b, 1));
  maxPoolForward(backend.readSync(x.dataId) as Float32Array, g, y);
  return { dataId: backend.write(y, out, 'float32'), shape: out, dtype: 'float32' };
};

const backwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const { dy, x } = args.inputs as Record<string, TensorInfo | undefined>;
  if (!dy) throw new Error(`${MAX_POOL_GRAD}: input dy is missing`);
  const g = maxPoolAttrs(MAX_POOL_GRAD, x, args.attrs as NamedAttrMap, dy);
  const dx = new Float32Array(g.shape.reduce((a, b) => a * b, 1));
  maxPoolBackward(backend.readSync(dy.dataId) as Float32Array, backend.readSync(x!.dataId) as Float32Array, g, dx);
  return { dataId: backend.write(dx, [...g.shape], 'float32'), shape: [...g.shape], dtype: 'float32' };
};

/** The cpu backend's kernel configs (the wasm backend's are in trainer/wasm-kernels/max-pool.ts). */
export const MAX_POOL_CPU_KERNELS = [
  { kernelName: MAX_POOL, backendName: 'cpu', kernelFunc: forwardKernel },
  { kernelName: MAX_POOL_GRAD, backendName: 'cpu', kernelFunc: backwardKernel },
];
