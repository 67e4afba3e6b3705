// One Adam (AdamW) update of one variable as a single kernel, for the cpu and wasm backends (and
// webgpu: trainer/webgpu-kernels/adam.ts): tfjs'
// AdamOptimizer builds it from ~12 op calls per variable (mul, add, square, div, sqrt, ... and
// their temporaries), which on the wasm backend cost ~45 ms of a centernet-tiny step of ~580 ms,
// for 250,000 weights. The loop here does the same float32 operations in the same order (each one
// rounded with Math.fround, as each tfjs op rounds its output), so it equals tfjs' Adam bit for bit
// (test/trainer-adam.test.ts) and checkpoints stay interchangeable. It reads its inputs where the
// backend keeps them and writes new output tensors; the caller assigns them to the variables.
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuIo, wasmIo, type TensorIo } from './util/tensor-io.js';

export const ADAM_UPDATE = 'AnchorlessAdamUpdate';

/** The update's scalars, each the float32 value tfjs' Adam multiplies or adds with. */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  /** 1 - beta1^t and 1 - beta2^t (tfjs: sub(1, accBeta)). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
  lr: number;
  /** Decoupled weight decay applied after the update, w *= 1 - decay (0: none). */
  decay: number;
}

/**
 * The spec: m' = m b1 + g (1 - b1); v' = v b2 + g^2 (1 - b2);
 * w' = (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps) * -lr + w; then w' *= 1 - decay if decay > 0.
 * Every operation rounded to float32, in tfjs' order.
 */
export function adamUpdate(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, s: AdamScalars, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const f = Math.fround;
  // tfjs makes each JS number a float32 scalar tensor
  const b1 = f(s.beta1);
  const b2 = f(s.beta2);
  const c1 = f(1 - s.beta1);
  const c2 = f(1 - s.beta2);
  const a1 = f(s.oneMinusAccBeta1);
  const a2 = f(s.oneMinusAccBeta2);
  const eps = f(s.epsilon);
  const step = f(-s.lr);
  const keep = f(1 - s.decay);
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * c1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * c2));
    mOut[i] = mi;
    vOut[i] = vi;
    // division and square root in float64 then rounded: correctly rounded float32 results
    const update = f(f(f(mi / a1) / f(f(Math.sqrt(f(vi / a2))) + eps)) * step);
    const wi = f(update + w[i]);
    wOut[i] = s.decay > 0 ? f(wi * keep) : wi;
  }
}

type Args = Parameters<KernelFunc>[0];

/** The update's attributes; 1 - beta^t comes from the optimiser's accBeta tensors, inputs of the kernel. */
export const ADAM_ATTRS = ['beta1', 'beta2', 'epsilon', 'lr', 'decay'] as const;
export type AdamAttrs = Pick<AdamScalars, (typeof ADAM_ATTRS)[number]>;

/**
 * Checks the kernel's inputs (w, m, v, g of one size; accBeta1, accBeta2 single values; all
 * float32) and attributes, with Errors naming the kernel and the argument.
 */
export function checkAdamArgs(inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap): AdamAttrs {
  const op = ADAM_UPDATE;
  const s = {} as AdamAttrs;
  for (const key of ADAM_ATTRS) {
    const value = attrs[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${op}: attribute ${key} must be a finite number, got ${String(value)}`);
    s[key] = value;
  }
  const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
  for (const name of ['w', 'm', 'v', 'g', 'accBeta1', 'accBeta2']) {
    const t = inputs[name];
    if (!t) throw new Error(`${op}: input ${name} is missing`);
    if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
    if (name.startsWith('accBeta')) {
      if (size(t) !== 1) throw new Error(`${op}: ${name} must hold one value, got shape [${t.shape}]`);
    } else if (size(t) !== size(inputs.w!)) throw new Error(`${op}: ${name} has shape [${t.shape}], w has [${inputs.w!.shape}]`);
  }
  return s;
}

function kernel(ioOf: (backend: unknown) => TensorIo): KernelFunc {
  return (args: Args) => {
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = checkAdamArgs(inputs, args.attrs as NamedAttrMap);
    const w = inputs.w!;
    const io = ioOf(args.backend);
    // as tfjs: sub(1, accBeta) in float32
    const oneMinusAccBeta1 = Math.fround(1 - io.view(inputs.accBeta1!)[0]);
    const oneMinusAccBeta2 = Math.fround(1 - io.view(inputs.accBeta2!)[0]);
    // every output allocated before any view is taken: on wasm an allocation may grow the heap,
    // which detaches the views taken before it
    const outs = [io.make(w.shape), io.make(w.shape), io.make(w.shape)];
    const [wv, mv, vv, gv] = (['w', 'm', 'v', 'g'] as const).map((name) => io.view(inputs[name]!));
    adamUpdate(wv, mv, vv, gv, { ...attrs, oneMinusAccBeta1, oneMinusAccBeta2 }, io.view(outs[0]), io.view(outs[1]), io.view(outs[2]));
    return outs;
  };
}

/** The kernel for the cpu and wasm backends (both run the loop above). */
export const ADAM_KERNELS: KernelConfig[] = [
  { kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: kernel((b) => cpuIo(b as KernelBackend)) },
  {
    kernelName: ADAM_UPDATE,
    backendName: 'wasm',
    kernelFunc: kernel((b) => wasmIo(ADAM_UPDATE, b)),
  },
];
