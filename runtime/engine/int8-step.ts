// An int8 conv layer (runtime/weights/int8-model.ts) compiled into a plan step: its codes packed
// once for the int8 kernels, and at run time its f32 input quantised into a codes buffer that
// every int8 step of the plan shares (they run one after another), then the integer conv with the
// f32 epilogue (scales, folded bias, ReLU) writing the layer's f32 output.
// The detector imports this module (and through it the int8 ops and loader) dynamically, only for
// a quantised model: an f32 model's bundle does not carry them.
import type { ConvNode, DeconvNode } from '../model/graph.js';
import { conv2dInt8Into, conv2dInt8OutputShape, int8ActivationBytes, int8WinogradFits, packConv2dInt8, quantizeActivationsInto, type Int8ConvLayout } from '../ops/conv-int8.js';
import { sevenBitQuant, type ActivationQuant } from '../ops/int8-quant.js';
import { optionsObject } from '../util/options.js';
import { int8LayoutFor } from './int8-layout.js';
import { loadInt8Kernels, type Int8Kernels, type LoadInt8Options } from '../wasm/int8-loader.js';
import type { Kernels } from '../wasm/loader.js';
import type { Int8Layer, Int8Node } from '../weights/int8-model.js';
import { conv2dTransposeInt8Into, conv2dTransposeInt8OutputShape, packConv2dTransposeInt8 } from '../ops/conv-transpose-int8.js';
import type { BuiltStep } from './conv-steps.js';

/** The int8 model-file reader and the kernels choice, for the detector's one dynamic import of int8 code. */
export { INT8_SUPPORT } from '../weights/int8-model.js';
export { int8BaseKernels } from './int8-kernels.js';

type Shape4 = [number, number, number, number];

/** What ExecutionPlan.build takes to run a model's int8 layers (PlanOptions.int8). */
export interface Int8PlanSteps {
  readonly layers: ReadonlyMap<string, Int8Layer>;
  /** The layout of the layers with non-negative inputs (the others are always 'c2'). */
  readonly layout: Int8ConvLayout;
  /** Bytes of input codes a layer's step needs in the shared buffer. */
  codesBytes(layer: Int8Layer, xShape: Shape4): number;
  build(node: Int8Node, layer: Int8Layer, x: number, xShape: Shape4, codes: number, out: number, outShape: Shape4): BuiltStep;
}

export interface Int8PlanStepsOptions extends LoadInt8Options {
  /**
   * The layout of layers with non-negative inputs: 'auto' (the default) measures which is exact and
   * faster on this engine (int8-layout.ts); 'c2' or 'c4' forces one (tests, benchmarks).
   */
  layout?: Int8ConvLayout | 'auto';
}

const OP = 'int8PlanSteps';

/** The int8 steps of a model's int8 layers, on the int8 kernels that share `kn`'s memory (loaded once per `kn`). */
export async function int8PlanSteps(kn: Kernels, layers: ReadonlyMap<string, Int8Layer>, opts?: Int8PlanStepsOptions): Promise<Int8PlanSteps> {
  const { layout: asked = 'auto', ...load } = optionsObject(OP, 'opts', opts, ['wasm', 'layout']);
  if (asked !== 'auto' && asked !== 'c2' && asked !== 'c4') throw new Error(`${OP}: opts.layout must be 'auto', 'c2' or 'c4', got ${JSON.stringify(asked)}`);
  const k8 = await loadInt8Kernels(kn, load);
  const layout = asked === 'auto' ? int8LayoutFor(k8).layout : asked;
  // 'c4' takes the non-negative inputs as 7-bit codes over the same calibrated range; signed ones stay 'c2'
  const inputOf = (layer: Int8Layer): ActivationQuant => (layout === 'c4' && layer.input.codes === 'u8' ? sevenBitQuant(layer.input) : layer.input);
  return {
    layers,
    layout,
    codesBytes: (layer, xShape) => int8ActivationBytes(xShape, inputOf(layer)),
    build: (node, layer, x, xShape, codes, out, outShape) => {
      const input = inputOf(layer);
      return node.op === 'deconv'
        ? buildInt8DeconvStep(k8, node, layer, input, x, xShape, codes, out, outShape)
        : buildInt8ConvStep(k8, node, layer, input, x, xShape, codes, out, outShape);
    },
  };
}

/** The layout whose kernels take `input`'s codes. */
const layoutFor = (input: ActivationQuant): Int8ConvLayout => (input.codes === 'u7' ? 'c4' : 'c2');

function buildInt8ConvStep(
  k8: Int8Kernels, node: ConvNode, layer: Int8Layer, input: ActivationQuant, x: number, xShape: Shape4, codes: number, out: number, outShape: Shape4,
): BuiltStep {
  const layout = layoutFor(input);
  // in 'c2', 3x3 stride-1 layers run as exact integer Winograd (the same outputs, 16 products per 2x2 tile instead of 36)
  const winograd = layout === 'c2' && node.groups === 1 && int8WinogradFits(node.kernel, node.kernel, node.cin, node.cout, node.stride, node.dilation);
  const packed = packConv2dInt8(k8, { codes: layer.codes, scales: layer.scales }, [node.kernel, node.kernel, node.cin, node.cout], { bias: layer.bias, winograd, layout });
  const opts = { stride: node.stride, pad: node.pad, dilation: node.dilation, activation: node.act } as const;
  return int8Step(k8, node.name, layer, input, x, xShape, codes, outShape, packed, () => conv2dInt8OutputShape(xShape, packed, opts), () => conv2dInt8Into(k8, packed, codes, xShape, input, out, opts));
}

/** A transposed conv (an up-sampling neck's) on the int8 phase kernels (ops/conv-transpose-int8.ts), in the convs' layouts. */
function buildInt8DeconvStep(
  k8: Int8Kernels, node: DeconvNode, layer: Int8Layer, input: ActivationQuant, x: number, xShape: Shape4, codes: number, out: number, outShape: Shape4,
): BuiltStep {
  const packed = packConv2dTransposeInt8(k8, { codes: layer.codes, scales: layer.scales }, [node.kernel, node.kernel, node.cout, node.cin], { bias: layer.bias, stride: node.stride, layout: layoutFor(input) });
  const opts = { pad: node.pad, outputPadding: node.outputPadding, activation: node.act } as const;
  return int8Step(k8, node.name, layer, input, x, xShape, codes, outShape, packed, () => conv2dTransposeInt8OutputShape(xShape, packed, opts), () => conv2dTransposeInt8Into(k8, packed, codes, xShape, input, out, opts));
}

/**
 * The step of a packed int8 layer: its input quantised into the shared codes buffer, then `conv`.
 * The packed weights are given back if the layer's output shape is not the graph's.
 */
function int8Step(
  k8: Int8Kernels, name: string, layer: Int8Layer, input: ActivationQuant, x: number, xShape: Shape4, codes: number, outShape: Shape4,
  packed: { release(): void }, outputShape: () => Shape4, conv: () => void,
): BuiltStep {
  let got: Shape4;
  try {
    got = outputShape();
  } catch (e) {
    packed.release();
    throw e;
  }
  if (got.join() !== outShape.join()) {
    packed.release();
    throw new Error(`execution plan: int8 node ${name} computes [${got}] but the graph expects [${outShape}]`);
  }
  return {
    run: () => {
      quantizeActivationsInto(k8, x, xShape, input, codes);
      conv();
    },
    weightBytes: layer.codes.length + (layer.scales.length + layer.bias.length) * 4,
    scratchBytes: 0,
    release: () => packed.release(),
  };
}
