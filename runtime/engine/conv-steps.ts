// Conv and transposed-conv nodes compiled into plan steps: weights (batch norm already folded in)
// packed once into the micro-kernels' order, the call bound to its fixed activation buffers.
import type { ConvNode, DcnNode, DeconvNode } from '../model/graph.js';
import { conv2dInto, conv2dOutputShape, conv2dTransposeInto, conv2dTransposeOutputShape, packConv2d, packConv2dTranspose } from '../ops/conv-packed.js';
import { deformConv2dInto, deformConv2dOutputShape, packDeformConv2d } from '../ops/deform-conv.js';
import type { Kernels } from '../wasm/loader.js';
import type { FoldedWeights } from './fold.js';
import type { WeightData } from '../weights/half-floats.js';
import type { StagingArea } from '../ops/stage-weights.js';

/** One kernel call of a plan, on buffers fixed at build time. */
export type KernelStep = () => void;

export interface BuiltStep {
  run: KernelStep;
  weightBytes: number;
  scratchBytes: number;
  release: () => void;
  /** The step runs the Winograd kernel. */
  winograd?: boolean;
}

type Shape4 = [number, number, number, number];

/** `winograd`: the conv runs the Winograd kernel (the plan's choice: a layer that winogradFits). */
export function buildConvStep(kn: Kernels, node: ConvNode, w: FoldedWeights<WeightData>, x: number, xShape: Shape4, out: number, outShape: Shape4, winograd: boolean, staging?: StagingArea): BuiltStep {
  const packed = packConv2d(kn, w.weight, [node.kernel, node.kernel, node.cin / node.groups, node.cout], { bias: w.bias, groups: node.groups, layout: winograd ? 'winograd' : undefined, columnScale: w.columnScale, staging });
  const opts = { stride: node.stride, pad: node.pad, dilation: node.dilation, activation: node.act } as const;
  checkShape(node.name, conv2dOutputShape(xShape, packed, opts), outShape, packed.release.bind(packed));
  return {
    run: () => void conv2dInto(kn, packed, x, xShape, out, opts),
    weightBytes: (w.weight.length + w.bias.length) * 4,
    scratchBytes: 0,
    release: () => packed.release(),
    winograd,
  };
}

export function buildDeconvStep(kn: Kernels, node: DeconvNode, w: FoldedWeights<WeightData>, x: number, xShape: Shape4, out: number, outShape: Shape4, staging?: StagingArea): BuiltStep {
  const packed = packConv2dTranspose(kn, w.weight, [node.kernel, node.kernel, node.cout / node.groups, node.cin], { bias: w.bias, stride: node.stride, groups: node.groups, columnScale: w.columnScale, staging });
  const opts = { pad: node.pad, outputPadding: node.outputPadding, activation: node.act } as const;
  checkShape(node.name, conv2dTransposeOutputShape(xShape, packed, opts), outShape, packed.release.bind(packed));
  return {
    run: () => void conv2dTransposeInto(kn, packed, x, xShape, out, opts),
    weightBytes: (w.weight.length + w.bias.length) * 4,
    scratchBytes: 0,
    release: () => packed.release(),
  };
}

/**
 * DCNv2: the offset-and-mask conv (an ordinary packed conv with bias) writes its 3 k k channels
 * into a scratch map [oh, ow, 3 k k] owned by the step; the deformable kernel reads the offsets
 * and the mask logits from it as they are (it applies the sigmoid). `offsetMask` holds the
 * unfolded conv_offset_mask weight and bias; `w` the main weight with batch norm folded in.
 */
export function buildDcnStep(
  kn: Kernels, node: DcnNode, w: FoldedWeights<WeightData>, offsetMask: FoldedWeights<WeightData>,
  x: number, xShape: Shape4, out: number, outShape: Shape4, staging?: StagingArea,
): BuiltStep {
  const taps = node.kernel * node.kernel;
  const window = { stride: node.stride, pad: node.pad, dilation: node.dilation } as const;
  const releases: (() => void)[] = [];
  const release = () => {
    for (const r of releases.splice(0).reverse()) r();
  };
  try {
    const offsetConv = packConv2d(kn, offsetMask.weight, [node.kernel, node.kernel, node.cin, 3 * taps], { bias: offsetMask.bias, staging });
    releases.push(() => offsetConv.release());
    const omShape = conv2dOutputShape(xShape, offsetConv, window);
    const omBytes = omShape[0] * omShape[1] * omShape[2] * omShape[3] * 4;
    const om = kn.heap.alloc(omBytes);
    releases.push(() => kn.heap.release(om));
    const deform = packDeformConv2d(kn, w.weight, [node.kernel, node.kernel, node.cin, node.cout], { bias: w.bias, columnScale: w.columnScale, staging });
    releases.push(() => deform.release());
    const opts = { ...window, activation: node.act } as const;
    checkShape(node.name, deformConv2dOutputShape(xShape, deform, opts), outShape, () => {});
    return {
      run: () => {
        conv2dInto(kn, offsetConv, x, xShape, om, window);
        deformConv2dInto(kn, deform, x, xShape, om, out, opts);
      },
      weightBytes: (w.weight.length + w.bias.length + offsetMask.weight.length + offsetMask.bias.length) * 4,
      scratchBytes: omBytes,
      release,
    };
  } catch (e) {
    release();
    throw e;
  }
}

function checkShape(name: string, got: Shape4, want: Shape4, release: () => void): void {
  if (got.join() !== want.join()) {
    release();
    throw new Error(`execution plan: node ${name} computes [${got}] but the graph expects [${want}]`);
  }
}
