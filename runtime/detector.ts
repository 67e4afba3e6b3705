// ObjectDetector: a model file and an image in, labelled boxes in original-image pixels out.
// One execution plan per detector (fixed input size, built once); each scale and the flipped
// copy run through it in turn. Pre- and post-processing follow the papers' test code.
import { byScoreDescending, toXywh, type Box, type Detection } from './decode/boxes.js';
import { decodeCenterNet } from './decode/centernet.js';
import { decodeCornerNet } from './decode/cornernet.js';
import { averageWithFlipped, mirrorDetections } from './decode/flip.js';
import { cornerNetPostprocess } from './decode/postprocess.js';
import { ExecutionPlan } from './engine/plan.js';
import { flipHorizontal } from './image/flip.js';
import { preprocessCenterNet, preprocessCornerNet } from './image/preprocess.js';
import type { ImageInput } from './image/source.js';
import { boxToOriginal, type ImageTransform } from './image/transform.js';
import { decodeSettings, type ModelConfig } from './model/config.js';
import { CENTERNET_HEADS, CORNERNET_HEADS } from './model/names.js';
import { inferenceHeads } from './model/registry.js';
import * as ops from './ops/index.js';
import type { Tensor } from './ops/tensor.js';
import { loadModelBytes, type ModelSource } from './model-source.js';
import { readModelFile } from './weights/model-file.js';
import { init, type InitOptions } from './wasm/loader.js';

export interface DetectorOptions {
  /** The weight file: bytes, a path or URL, or omitted for the bundled default model. */
  model?: ModelSource;
  /** Detections scoring below this are dropped (default 0.3). */
  scoreThreshold?: number;
  /** At most this many detections, best first (default 100). */
  maxResults?: number;
  /** Network input [height, width]; default the model's training size. Multiples of the architecture's size multiple. */
  inputSize?: [number, number];
  /** Flip test: also run the mirrored image and merge (CenterNet averages maps, CornerNet merges boxes). */
  flip?: boolean;
  /** Multi-scale test: image scales, merged by soft-NMS (default [1]). */
  scales?: number[];
  /** Kernel loading options, passed to init(). */
  wasm?: InitOptions['wasm'];
}

export interface DetectedObject {
  box: Box;
  /** [x, y, width, height] (COCO's bbox form). */
  bbox: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

export class ObjectDetector {
  private plan: ExecutionPlan | undefined;
  /** Head outputs of the unflipped run, copied out of kernel memory into arrays reused by every call. */
  private readonly headBuffers = new Map<string, Float32Array>();

  private constructor(
    readonly config: ModelConfig,
    plan: ExecutionPlan,
    private readonly heads: Record<string, string>,
    private readonly scoreThreshold: number,
    private readonly maxResults: number,
    private readonly flip: boolean,
    private readonly scales: number[],
  ) {
    this.plan = plan;
  }

  static async create(options: DetectorOptions = {}): Promise<ObjectDetector> {
    if (typeof options !== 'object' || options === null) throw new Error('ObjectDetector.create: options must be an object');
    const { scoreThreshold = 0.3, maxResults = 100, flip = false, scales = [1] } = options;
    if (typeof scoreThreshold !== 'number' || !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
      throw new Error(`ObjectDetector.create: scoreThreshold must be a number in [0, 1], got ${String(scoreThreshold)}`);
    }
    if (!Number.isInteger(maxResults) || maxResults < 1) throw new Error(`ObjectDetector.create: maxResults must be a positive integer, got ${String(maxResults)}`);
    if (typeof flip !== 'boolean') throw new Error(`ObjectDetector.create: flip must be a boolean, got ${String(flip)}`);
    if (!Array.isArray(scales) || scales.length === 0 || !scales.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) {
      throw new Error(`ObjectDetector.create: scales must be a non-empty array of positive numbers, got ${JSON.stringify(scales)}`);
    }
    const kn = await init(options.wasm !== undefined ? { wasm: options.wasm } : {});
    const { bytes, source } = await loadModelBytes(options.model);
    const file = readModelFile(bytes, source);
    const [height, width] = options.inputSize ?? file.config.inputSize;
    const heads = inferenceHeads(file.graph);
    let plan: ExecutionPlan;
    try {
      plan = ExecutionPlan.build(kn, file.graph, file.tensors, heads, height, width);
    } catch (e) {
      throw new Error(`ObjectDetector.create: ${source}: ${(e as Error).message}`);
    }
    return new ObjectDetector(file.config, plan, heads, scoreThreshold, maxResults, flip, [...scales]);
  }

  /** Input size [height, width] of the network. */
  get inputSize(): [number, number] {
    const s = this.livePlan().inputShape;
    return [s[1], s[2]];
  }

  /** Detections score-descending, boxes in original-image pixels. */
  async detect(image: ImageInput): Promise<DetectedObject[]> {
    const plan = this.livePlan();
    const [, inputHeight, inputWidth] = plan.inputShape;
    const norm = { mean: this.config.mean, std: this.config.std };
    const settings = decodeSettings(this.config);
    const stride = inputWidth / plan.outputView(Object.keys(this.heads)[0]).shape[2];
    let dets: Detection[] = [];
    for (const scale of this.scales) {
      if (this.config.detector === 'centernet') {
        const pre = preprocessCenterNet(image, { ...norm, inputWidth, inputHeight, scale, out: plan.inputView() });
        // mirrored now: pre.input is a view of kernel memory, which later calls may grow (detach)
        const mirrored = this.flip ? flipHorizontal(pre.input) : undefined;
        const out = this.forward();
        let heat = ops.sigmoid(out[CENTERNET_HEADS.heatmap]);
        let wh = out[CENTERNET_HEADS.size];
        if (mirrored) {
          const flipped = this.forward(mirrored);
          heat = averageWithFlipped(heat, ops.sigmoid(flipped[CENTERNET_HEADS.heatmap]));
          wh = averageWithFlipped(wh, flipped[CENTERNET_HEADS.size]);
        }
        const found = decodeCenterNet({ heatmap: heat, wh, offset: out[CENTERNET_HEADS.offset] }, { k: settings.k, kernel: settings.kernel, stride, logits: false });
        dets.push(...toOriginal(found, pre.transform));
      } else {
        const fit = Math.min(inputWidth / imageWidth(image), inputHeight / imageHeight(image));
        const pre = preprocessCornerNet(image, { ...norm, inputWidth, inputHeight, scale: fit * scale, out: plan.inputView() });
        const mirrored = this.flip ? flipHorizontal(pre.input) : undefined;
        const options = { k: settings.k, kernel: settings.kernel, aeThreshold: settings.aeThreshold, numDets: settings.numDets, stride };
        const found = decodeCornerNet(cornerHeads(this.forward()), options);
        dets.push(...toOriginal(found, pre.transform, true));
        if (mirrored) {
          const back = mirrorDetections(decodeCornerNet(cornerHeads(this.forward(mirrored)), options), inputWidth);
          dets.push(...toOriginal(back, pre.transform, true));
        }
      }
    }
    // CornerNet always merges its corner pairs by soft-NMS; CenterNet only when several outputs meet
    const merge = this.config.detector === 'cornernet' || this.scales.length > 1;
    dets = merge ? cornerNetPostprocess(dets, { maxResults: this.maxResults }) : dets.sort(byScoreDescending);
    return dets
      .filter((d) => d.score >= this.scoreThreshold)
      .slice(0, this.maxResults)
      .map((d) => ({ box: d.box, bbox: toXywh(d.box), score: d.score, classId: d.classId, label: this.config.labels[d.classId] ?? `class${d.classId}` }));
  }

  /** Frees the detector's kernel memory; detect() afterwards is an Error. */
  close(): void {
    this.plan?.release();
    this.plan = undefined;
  }

  private livePlan(): ExecutionPlan {
    if (!this.plan) throw new Error('ObjectDetector: used after close()');
    return this.plan;
  }

  /**
   * Runs the network on `input`, or on what preprocessing wrote into the plan's input buffer; the
   * latter copies the heads into the detector's reused buffers, so a plain detect() allocates no
   * large arrays (process memory stays flat over many calls).
   */
  private forward(input?: Tensor): Record<string, Tensor> {
    const plan = this.livePlan();
    plan.run(input?.data);
    return Object.fromEntries(
      Object.keys(this.heads).map((head) => {
        if (input) return [head, plan.output(head)];
        const view = plan.outputView(head);
        let buffer = this.headBuffers.get(head);
        if (!buffer) this.headBuffers.set(head, (buffer = new Float32Array(view.shape[1] * view.shape[2] * view.shape[3])));
        return [head, plan.output(head, buffer)];
      }),
    );
  }
}

function cornerHeads(out: Record<string, Tensor>) {
  return {
    tlHeatmap: out[CORNERNET_HEADS.tlHeatmap],
    brHeatmap: out[CORNERNET_HEADS.brHeatmap],
    tlEmbedding: out[CORNERNET_HEADS.tlEmbedding],
    brEmbedding: out[CORNERNET_HEADS.brEmbedding],
    tlOffset: out[CORNERNET_HEADS.tlOffset],
    brOffset: out[CORNERNET_HEADS.brOffset],
  };
}

/**
 * Boxes into original-image pixels. A negative predicted size (possible early in training: the
 * official decode does not clamp wh) would give xmax < xmin; such a box collapses to its centre
 * line, so every returned box is well formed.
 */
function toOriginal(dets: Detection[], t: ImageTransform, clip = false): Detection[] {
  return dets.map((d) => ({ ...d, box: wellFormed(boxToOriginal(d.box, t, clip)) }));
}

function wellFormed(b: Box): Box {
  const x = b.xmax < b.xmin ? (b.xmin + b.xmax) / 2 : undefined;
  const y = b.ymax < b.ymin ? (b.ymin + b.ymax) / 2 : undefined;
  return { xmin: x ?? b.xmin, xmax: x ?? b.xmax, ymin: y ?? b.ymin, ymax: y ?? b.ymax };
}

function imageWidth(image: ImageInput): number {
  return image.width;
}

function imageHeight(image: ImageInput): number {
  return image.height;
}


