// CornerNet corner pooling as two kernels, forward and backward, for the cpu and wasm backends:
// one scan each, where the op-by-op form of corner-pool.ts costs log2(size) rounds of slice, pad
// and maximum forward and their gradients backward (about a fifth of a cornernet-tiny training step
// on the wasm backend). The JavaScript here is the spec and what the cpu backend runs; the wasm
// backend runs the main module's cornerPoolNhwc forward and the training module's
// cornerPoolBackward (assembly/train.ts), which equal it bit for bit (trainer/wasm-kernels/corner-pool.ts).
//
// The gradient rule is the op-by-op form's and the official backward's: each output's gradient goes
// to the maximum it took, the one found first from the edge the scan starts at.
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { CornerDirection } from '../../runtime/model/graph.js';

export const CORNER_POOL = 'AnchorlessCornerPool';
export const CORNER_POOL_GRAD = 'AnchorlessCornerPoolGrad';

/** The kernels' direction codes (those of assembly/pool/corner-scalar.ts). */
export const CORNER_CODES: Readonly<Record<CornerDirection, number>> = { top: 0, left: 1, bottom: 2, right: 3 };

/** How a direction scans NHWC [n, h, w, c]: `outer` blocks of `len` steps of `inner` contiguous floats. */
function scan(shape: readonly number[], direction: CornerDirection) {
  const [n, h, w, c] = shape;
  const vertical = direction === 'top' || direction === 'bottom';
  return {
    vertical,
    // top / left take the max over the positions at or beyond: the scan starts at the far end
    reverse: direction === 'top' || direction === 'left',
    len: vertical ? h : w,
    inner: vertical ? w * c : c,
    outer: vertical ? n : n * h,
  };
}

/** y = cornerPool(x, direction): the running max along the scan. */
export function cornerPoolForward(x: Float32Array, shape: readonly number[], direction: CornerDirection, y: Float32Array): void {
  const { reverse, len, inner, outer } = scan(shape, direction);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 0; i < len; i++) {
      const row = base + (reverse ? len - 1 - i : i) * inner;
      const prev = row + (reverse ? inner : -inner);
      for (let k = 0; k < inner; k++) y[row + k] = i === 0 ? x[row + k] : Math.max(y[prev + k], x[row + k]);
    }
  }
}

/** dx = the gradient of cornerPool(x, direction) for the output gradient dy. */
export function cornerPoolBackward(x: Float32Array, dy: Float32Array, shape: readonly number[], direction: CornerDirection, dx: Float32Array): void {
  const { reverse, len, inner, outer } = scan(shape, direction);
  const runMax = new Float32Array(inner);
  const argMax = new Int32Array(inner);
  dx.fill(0);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 0; i < len; i++) {
      const t = reverse ? len - 1 - i : i;
      const row = base + t * inner;
      for (let k = 0; k < inner; k++) {
        const v = x[row + k];
        if (i === 0 || v > runMax[k]) {
          runMax[k] = v;
          argMax[k] = t;
        }
        dx[base + argMax[k] * inner + k] += dy[row + k];
      }
    }
  }
}

/** Checks a corner-pool kernel call: x NHWC float32, dy (backward) x's shape, attribute direction. */
export function cornerPoolAttrs(op: string, x: TensorInfo | undefined, attrs: NamedAttrMap, dy?: TensorInfo | null): { shape: [number, number, number, number]; direction: CornerDirection } {
  if (!x) throw new Error(`${op}: input x is missing`);
  if (x.dtype !== 'float32') throw new Error(`${op}: x must be float32, got ${x.dtype}`);
  if (x.shape.length !== 4) throw new Error(`${op}: x must be NHWC (rank 4), got shape [${x.shape}]`);
  const direction = attrs.direction as CornerDirection;
  if (!Object.hasOwn(CORNER_CODES, direction as string)) throw new Error(`${op}: attribute direction must be one of ${Object.keys(CORNER_CODES).join(', ')}, got ${JSON.stringify(direction)}`);
  if (dy !== undefined && (!dy || dy.dtype !== 'float32' || dy.shape.length !== 4 || dy.shape.some((d, i) => d !== x.shape[i]))) {
    throw new Error(`${op}: dy must be float32 of x's shape [${x.shape}], got ${dy ? `${dy.dtype} [${dy.shape}]` : 'nothing'}`);
  }
  return { shape: x.shape as [number, number, number, number], direction };
}

const forwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const x = args.inputs.x as TensorInfo;
  const { shape, direction } = cornerPoolAttrs(CORNER_POOL, x, args.attrs as NamedAttrMap);
  const xs = backend.readSync(x.dataId) as Float32Array;
  const y = new Float32Array(xs.length);
  cornerPoolForward(xs, shape, direction, y);
  return { dataId: backend.write(y, [...shape], 'float32'), shape: [...shape], dtype: 'float32' };
};

const backwardKernel: KernelFunc = (args) => {
  const backend = args.backend as KernelBackend;
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const { shape, direction } = cornerPoolAttrs(CORNER_POOL_GRAD, x, args.attrs as NamedAttrMap, dy ?? null);
  const xs = backend.readSync(x.dataId) as Float32Array;
  const dx = new Float32Array(xs.length);
  cornerPoolBackward(xs, backend.readSync(dy.dataId) as Float32Array, shape, direction, dx);
  return { dataId: backend.write(dx, [...shape], 'float32'), shape: [...shape], dtype: 'float32' };
};

/** The cpu backend's kernel configs (the wasm backend's are in trainer/wasm-kernels/corner-pool.ts). */
export const CORNER_POOL_CPU_KERNELS = [
  { kernelName: CORNER_POOL, backendName: 'cpu', kernelFunc: forwardKernel },
  { kernelName: CORNER_POOL_GRAD, backendName: 'cpu', kernelFunc: backwardKernel },
] as const;
