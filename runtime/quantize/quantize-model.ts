// Post-training int8 quantisation of a model file (issue 13): batch norm folded into each conv and
// transposed conv, per-output-channel symmetric int8 weights, and each one's input activation range from
// calibration images run through the f32 network exactly as detect() prepares them. The result is
// a model file (runtime/weights/int8-model.ts) that ObjectDetector runs on the int8 kernels.
//   const { bytes } = await quantizeModel({ model: 'm.safetensors', images });
import { pruneTo } from '../model/graph.js';
import { inferenceHeads } from '../model/registry.js';
import { ExecutionPlan } from '../engine/plan.js';
import { foldBatchNorm } from '../engine/fold.js';
import { preprocessCenterNet, preprocessCornerNet } from '../image/preprocess.js';
import type { ImageInput } from '../image/source.js';
import { loadModelBytes, type ModelSource } from '../model-source.js';
import { activationQuant, quantizeConvWeights, quantizeDeconvWeights } from '../ops/int8-quant.js';
import { init } from '../wasm/loader.js';
import { wasmF16Decoder } from '../wasm/f16.js';
import { wasmWarper } from '../wasm/warp.js';
import { int8CodesShape, int8Eligible, INT8_SUPPORT, type Int8Layer } from '../weights/int8-model.js';
import { CONFIG_KEY, INT8_KEY, modelFromSafetensors, writeModelFile } from '../weights/model-file.js';
import { parseSafetensors } from '../weights/safetensors.js';
import { checkOptionNames } from '../util/options.js';

/**
 * Convs with fewer input channels stay f32 (a stem on RGB): there the f32 kernel takes each filter
 * row as one tap (conv2dIgemm's rows mode) and the int8 one cannot, so int8 is the slower of the two
 * (centernet-resnet18's 7x7 stem at 512, one process: f32 36.2 / int8 45.3 ms relaxed, 36.9 / 40.5
 * SIMD128) and only loses precision. Files quantised before this rule (an int8 stem) still load.
 */
export const INT8_MIN_CIN = 8;

export interface QuantizeOptions {
  /** The f32 model file: bytes, a path or URL (default: the bundled model). */
  model?: ModelSource;
  /** Calibration images, as detect() takes them: a few dozen to a few hundred like the ones the model will see. */
  images: Iterable<ImageInput> | AsyncIterable<ImageInput>;
  /** Called after each calibration image with the count so far (progress). */
  onImage?: (done: number) => void;
}

export interface QuantizeResult {
  /** The int8 model file. */
  bytes: Uint8Array;
  /** Conv and transposed-conv layers stored in int8, and those left in f32 (heads' last convs, grouped convs, ...). */
  int8Layers: number;
  f32Layers: number;
  /** Calibration images used. */
  images: number;
}

const OPTIONS = ['model', 'images', 'onImage'];

export async function quantizeModel(options: QuantizeOptions): Promise<QuantizeResult> {
  const fn = 'quantizeModel';
  if (typeof options !== 'object' || options === null) throw new Error(`${fn}: options must be an object { model?, images, onImage? }`);
  checkOptionNames(fn, 'option', options, OPTIONS);
  const { images, onImage } = options;
  if (images === null || typeof images !== 'object' || (!(Symbol.iterator in images) && !(Symbol.asyncIterator in images))) {
    throw new Error(`${fn}: images must be an iterable (or async iterable) of images`);
  }
  if (onImage !== undefined && typeof onImage !== 'function') throw new Error(`${fn}: onImage must be a function`);
  const kn = await init();
  const { bytes, source } = await loadModelBytes(options.model);
  // parsed once: the model, and below the storage type of its tensors
  const parsed = parseSafetensors(bytes, source);
  const file = modelFromSafetensors(parsed, { decodeF16: wasmF16Decoder(kn) }, INT8_SUPPORT);
  if (file.int8) throw new Error(`${fn}: ${source} is already quantised (it has int8 layers); quantise its f32 original`);
  const { config, graph } = file;
  const heads = inferenceHeads(graph);
  const [height, width] = config.inputSize;

  // the layers to quantise: eligible ones the inference network runs; each one's input is watched
  const running = new Set(pruneTo(graph, Object.values(heads)).map((n) => n.name));
  const convs = int8Eligible(graph).filter((n) => running.has(n.name) && n.cin >= INT8_MIN_CIN);
  const ranges = new Map<string, { min: number; max: number }>();
  for (const node of convs) ranges.set(node.inputs[0], { min: Infinity, max: -Infinity });
  const observe = (name: string, values: Float32Array) => {
    const r = ranges.get(name);
    if (!r) return;
    let { min, max } = r;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    r.min = min;
    r.max = max;
  };
  const plan = ExecutionPlan.build(kn, graph, file.tensors, heads, height, width, { observe });
  let count = 0;
  try {
    const norm = { mean: config.mean, std: config.std, warper: wasmWarper(plan.kernels) };
    for await (const image of images) {
      const at = `${fn}: calibration image ${count}`;
      try {
        if (config.detector === 'centernet') preprocessCenterNet(image, { ...norm, inputWidth: width, inputHeight: height, out: plan.inputView() });
        else {
          const fit = Math.min(width / image.width, height / image.height);
          preprocessCornerNet(image, { ...norm, inputWidth: width, inputHeight: height, scale: fit, out: plan.inputView() });
        }
      } catch (e) {
        throw new Error(`${at}: ${(e as Error).message}`);
      }
      plan.run();
      count++;
      onImage?.(count);
    }
  } finally {
    plan.release();
  }
  if (count === 0) throw new Error(`${fn}: no calibration images`);

  const layers = new Map<string, Int8Layer>();
  for (const node of convs) {
    const { min, max } = ranges.get(node.inputs[0])!;
    const input = activationQuant(min, max);
    const param = (suffix: string) => file.tensors.get(`${node.name}.${suffix}`)!;
    const folded = foldBatchNorm(node, param, kn);
    const { codes, scales } = (node.op === 'deconv' ? quantizeDeconvWeights : quantizeConvWeights)(folded.weight, int8CodesShape(node));
    layers.set(node.name, { codes, scales, bias: folded.bias, input });
  }
  // the rest keeps the source's storage type; its metadata (training details) carries over
  const dtype = [...parsed.tensors.values()].some((t) => t.dtype === 'F16') ? 'F16' : 'F32';
  const metadata = Object.fromEntries(Object.entries(file.metadata).filter(([k]) => k !== CONFIG_KEY && k !== INT8_KEY));
  metadata['anchorless.quantized'] = JSON.stringify({ from: source, calibrationImages: count, int8Layers: layers.size });
  const out = writeModelFile(config, file.tensors, { dtype, metadata, int8: layers });
  const allConvs = graph.nodes.filter((n) => (n.op === 'conv' || n.op === 'deconv') && running.has(n.name)).length;
  return { bytes: out, int8Layers: layers.size, f32Layers: allConvs - layers.size, images: count };
}
