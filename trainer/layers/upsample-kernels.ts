// Nearest up-sampling by an integer factor as two kernels, forward and backward, for the cpu and
// wasm backends. The op-by-op form (torch-ops.ts upsampleNearest: two broadcasts) runs as TF.js's
// Tile on the wasm backend, which took ~130 ms of a cornernet-tiny training step of 16 at 128 for
// six up-samplings; its gradient is a Sum per broadcast. The JavaScript here is the spec and what
// the cpu backend runs; the wasm backend runs the main module's upsampleNearestNhwc forward and the
// training module's upsampleNearestBackward (assembly/train.ts), equal to it bit for bit.
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const UPSAMPLE_NEAREST = 'AnchorlessUpsampleNearest';
export const UPSAMPLE_NEAREST_GRAD = 'AnchorlessUpsampleNearestGrad';

/** y [n, h*f, w*f, c]: y[b, y, x] = x[b, floor(y / f), floor(x / f)]. */
export function upsampleNearestForward(x: Float32Array, [n, h, w, c]: readonly number[], f: number, y: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < h * f; oy++) {
      for (let ox = 0; ox < w * f; ox++) {
        const src = ((b * h + Math.floor(oy / f)) * w + Math.floor(ox / f)) * c;
        const dst = ((b * h * f + oy) * w * f + ox) * c;
        for (let k = 0; k < c; k++) y[dst + k] = x[src + k];
      }
    }
  }
}

/** dx [n, h, w, c] (the input's shape): each f x f block of dy summed in float32, rows then columns. */
export function upsampleNearestBackward(dy: Float32Array, [n, h, w, c]: readonly number[], f: number, dx: Float32Array): void {
  const ow = w * f;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const out = ((b * h + y) * w + x) * c;
        const first = ((b * h * f + y * f) * ow + x * f) * c;
        for (let k = 0; k < c; k++) {
          let acc = 0;
          for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) acc = Math.fround(acc + dy[first + (i * ow + j) * c + k]);
          dx[out + k] = acc;
        }
      }
    }
  }
}

/**
 * Checks an up-sampling kernel call; returns the input's shape [n, h, w, c] (forward: x's; backward:
 * dy's divided by the factor) and the factor.
 */
export function upsampleAttrs(op: string, t: TensorInfo | undefined, name: 'x' | 'dy', attrs: NamedAttrMap): { shape: [number, number, number, number]; factor: number } {
  if (!t) throw new Error(`${op}: input ${name} is missing`);
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
  if (t.shape.length !== 4) throw new Error(`${op}: ${name} must be NHWC (rank 4), got shape [${t.shape}]`);
  const factor = attrs.factor;
  if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1) throw new Error(`${op}: attribute factor must be a positive integer, got ${JSON.stringify(factor)}`);
  const [n, h, w, c] = t.shape;
  if (name === 'dy' && (h % factor !== 0 || w % factor !== 0)) throw new Error(`${op}: dy [${t.shape}] is not an up-sampling by ${factor} (its height and width must be multiples)`);
  return { shape: name === 'x' ? [n, h, w, c] : [n, h / factor, w / factor, c], factor };
}

const forwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const x = args.inputs.x as TensorInfo;
  const { shape, factor } = upsampleAttrs(UPSAMPLE_NEAREST, x, 'x', args.attrs as NamedAttrMap);
  const [n, h, w, c] = shape;
  const out = [n, h * factor, w * factor, c];
  const y = new Float32Array(n * h * factor * w * factor * c);
  upsampleNearestForward(backend.readSync(x.dataId) as Float32Array, shape, factor, y);
  return { dataId: backend.write(y, out, 'float32'), shape: out, dtype: 'float32' };
};

const backwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const dy = args.inputs.dy as TensorInfo;
  const { shape, factor } = upsampleAttrs(UPSAMPLE_NEAREST_GRAD, dy, 'dy', args.attrs as NamedAttrMap);
  const dx = new Float32Array(shape.reduce((a, b) => a * b, 1));
  upsampleNearestBackward(backend.readSync(dy.dataId) as Float32Array, shape, factor, dx);
  return { dataId: backend.write(dx, [...shape], 'float32'), shape: [...shape], dtype: 'float32' };
};

/** The cpu backend's kernel configs (the wasm backend's are in trainer/wasm-kernels/upsample.ts). */
export const UPSAMPLE_CPU_KERNELS = [
  { kernelName: UPSAMPLE_NEAREST, backendName: 'cpu', kernelFunc: forwardKernel },
  { kernelName: UPSAMPLE_NEAREST_GRAD, backendName: 'cpu', kernelFunc: backwardKernel },
] as const;
