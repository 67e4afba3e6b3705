// Conv and transposed-conv nodes compiled into plan steps: weights (batch norm already folded in)
// packed once into the micro-kernels' order, the call bound to its fixed activation buffers.
import type { ConvNode, DeconvNode } from '../model/graph.js';
import { conv2dInto, conv2dOutputShape, conv2dTransposeInto, conv2dTransposeOutputShape, packConv2d, packConv2dTranspose } from '../ops/conv-packed.js';
import type { Kernels } from '../wasm/loader.js';
import type { FoldedWeights } from './fold.js';

/** One kernel call of a plan, on buffers fixed at build time. */
export type KernelStep = () => void;

export interface BuiltStep {
  run: KernelStep;
  weightBytes: number;
  scratchBytes: number;
  release: () => void;
}

type Shape4 = [number, number, number, number];

export function buildConvStep(kn: Kernels, node: ConvNode, w: FoldedWeights, x: number, xShape: Shape4, out: number, outShape: Shape4): BuiltStep {
  const packed = packConv2d(kn, w.weight, [node.kernel, node.kernel, node.cin / node.groups, node.cout], { bias: w.bias, groups: node.groups });
  const opts = { stride: node.stride, pad: node.pad, dilation: node.dilation, activation: node.act } as const;
  checkShape(node.name, conv2dOutputShape(xShape, packed, opts), outShape, packed.release.bind(packed));
  return {
    run: () => void conv2dInto(kn, packed, x, xShape, out, opts),
    weightBytes: (w.weight.length + w.bias.length) * 4,
    scratchBytes: 0,
    release: () => packed.release(),
  };
}

export function buildDeconvStep(kn: Kernels, node: DeconvNode, w: FoldedWeights, x: number, xShape: Shape4, out: number, outShape: Shape4): BuiltStep {
  const packed = packConv2dTranspose(kn, w.weight, [node.kernel, node.kernel, node.cout, node.cin], { bias: w.bias, stride: node.stride });
  const opts = { pad: node.pad, outputPadding: node.outputPadding, activation: node.act } as const;
  checkShape(node.name, conv2dTransposeOutputShape(xShape, packed, opts), outShape, packed.release.bind(packed));
  return {
    run: () => void conv2dTransposeInto(kn, packed, x, xShape, out, opts),
    weightBytes: (w.weight.length + w.bias.length) * 4,
    scratchBytes: 0,
    release: () => packed.release(),
  };
}

function checkShape(name: string, got: Shape4, want: Shape4, release: () => void): void {
  if (got.join() !== want.join()) {
    release();
    throw new Error(`execution plan: node ${name} computes [${got}] but the graph expects [${want}]`);
  }
}
