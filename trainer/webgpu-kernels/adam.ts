// The fused Adam (AdamW) update (trainer/adam-kernel.ts) on the webgpu backend: three elementwise
// programs per variable (the new first moment, second moment and weights) instead of tfjs'
// AdamOptimizer's ~12 ops and their temporaries.
//
// Why: each op costs the CPU ~0.2 ms to record and dispatch, whatever its size. Measured on an H200
// (centernet-resnet18 at 512, batch 16) tfjs' Adam took 258 ms of a 476 ms step, the same at
// batch 1: more than the forward and backward passes' GPU time.
//
// The programs do the spec's float32 operations in its order, but a GPU compiler may fuse a
// multiply and an add (and WGSL's division and square root need not be correctly rounded), so the
// result is within a few float32 ulps of tfjs' Adam rather than equal to it bit for bit; it is the
// same from run to run (the trainer's exact resume).
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, checkAdamArgs } from '../adam-kernel.js';
import type { TF } from '../backend.js';
import { flatDispatch, scalarUniforms, type TensorInfo, type WebGpuBackendLike, type WebGpuProgram } from './program.js';

const UNIFORMS = 'beta1 : f32, beta2 : f32, oneMinusBeta1 : f32, oneMinusBeta2 : f32, epsilon : f32, step : f32, keep : f32, decay : i32,';

/** WGSL for the spec's m' and v' at `index`. */
const FIRST_MOMENT = `
      fn firstMoment(index : i32) -> f32 {
        return m[index] * uniforms.beta1 + g[index] * uniforms.oneMinusBeta1;
      }`;
const SECOND_MOMENT = `
      fn secondMoment(index : i32) -> f32 {
        let gi = g[index];
        return v[index] * uniforms.beta2 + (gi * gi) * uniforms.oneMinusBeta2;
      }`;

/**
 * The programs, each with the inputs it reads and no others (tfjs builds the bind group layout
 * from the shader, which leaves out bindings that the code does not use).
 */
const PROGRAMS = {
  m: { inputs: ['m', 'g'], code: FIRST_MOMENT, body: 'setOutputAtIndex(index, firstMoment(index));' },
  v: { inputs: ['v', 'g'], code: SECOND_MOMENT, body: 'setOutputAtIndex(index, secondMoment(index));' },
  w: {
    inputs: ['w', 'm', 'v', 'g', 'accBeta1', 'accBeta2'],
    code: FIRST_MOMENT + SECOND_MOMENT,
    // as tfjs: (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + eps) * -lr + w, then the decay
    body: `let a1 = 1.0 - accBeta1[0];
          let a2 = 1.0 - accBeta2[0];
          let update = ((firstMoment(index) / a1) / (sqrt(secondMoment(index) / a2) + uniforms.epsilon)) * uniforms.step;
          var wi = update + w[index];
          if (uniforms.decay != 0) { wi = wi * uniforms.keep; }
          setOutputAtIndex(index, wi);`,
  },
} as const;

function program(name: keyof typeof PROGRAMS, shape: number[]): WebGpuProgram {
  const { inputs, code, body } = PROGRAMS[name];
  return {
    variableNames: [...inputs],
    outputShape: shape,
    shaderKey: `anchorlessAdam_${name}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    ...flatDispatch(shape.reduce((a, b) => a * b, 1)),
    uniforms: UNIFORMS,
    getUserCode: () => `
      ${code}
      ${'fn main(index : i32)'} {
        if (index < uniforms.size) {
          ${body}
        }
      }
    `,
  };
}

/** Registers the fused Adam update on 'webgpu' (tfjs-backend-webgpu has no kernel of that name). */
export function registerWebGpuAdam(tf: TF): void {
  if (tf.getKernel(ADAM_UPDATE, 'webgpu')) return;
  tf.registerKernel({
    kernelName: ADAM_UPDATE,
    backendName: 'webgpu',
    kernelFunc: ((args: { inputs: Record<string, TensorInfo | undefined>; backend: WebGpuBackendLike; attrs: NamedAttrMap }) => {
      const s = checkAdamArgs(args.inputs, args.attrs);
      const uniforms = [
        ...scalarUniforms('float32', [s.beta1, s.beta2, 1 - s.beta1, 1 - s.beta2, s.epsilon, -s.lr, 1 - s.decay].map(Math.fround)),
        ...scalarUniforms('int32', [s.decay > 0 ? 1 : 0]),
      ];
      const inputs = args.inputs as Record<string, TensorInfo>;
      return (['w', 'm', 'v'] as const).map((name) =>
        args.backend.runWebGPUProgram(program(name, inputs.w.shape), PROGRAMS[name].inputs.map((k) => inputs[k]), 'float32', uniforms),
      );
    }) as never,
  });
}
