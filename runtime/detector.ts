// ObjectDetector: a model file and an image in, labelled boxes in original-image pixels out.
// Execution plans are built per input size and cached (the detector's own size, plus one more:
// infer() on another size, or keepResolution's per-image sizes); each scale and the flipped copy
// run through them in turn. Pre- and post-processing follow the papers' test code.
import { byScoreDescending, toXywh, type Box, type Detection } from './decode/boxes.js';
import { decodeCenterNet } from './decode/centernet.js';
import { decodeCornerNet } from './decode/cornernet.js';
import { averageWithFlipped, mirrorDetections } from './decode/flip.js';
import { cornerNetPostprocess } from './decode/postprocess.js';
import { checkLayout, type Layout } from './decode/layout.js';
import { checkNetworkInput, fromNHWC, writeNHWC } from './engine/io-layout.js';
import { PlanCache } from './engine/plan-cache.js';
import { DEFAULT_MEMORY_LIMIT, ExecutionPlan } from './engine/plan.js';
import { flipHorizontal } from './image/flip.js';
import { keepResolutionSide } from './image/keep-resolution.js';
import { preprocessCenterNet, preprocessCornerNet } from './image/preprocess.js';
import { checkImage, type ImageInput } from './image/source.js';
import { checkOptionNames } from './util/options.js';
import { boxToOriginal, type ImageTransform } from './image/transform.js';
import { checkTestMerge, decodeSettings, MAX_TEST_SIZES, type ModelConfig, type TestMerge } from './model/config.js';
import { inferShapes, type Graph } from './model/graph.js';
import { CENTERNET_HEADS, CORNERNET_HEADS, outputNamesOf } from './model/names.js';
import { inferenceHeads } from './model/registry.js';
import * as ops from './ops/index.js';
import type { Tensor } from './ops/tensor.js';
import { loadModelBytes, type ModelSource } from './model-source.js';
import { INT8_KEY, modelFromSafetensors } from './weights/model-file.js';
import { parseSafetensors } from './weights/safetensors.js';
import { wasmF16Decoder } from './wasm/f16.js';
import { wasmWarper } from './wasm/warp.js';
import { isSaccadeModel } from './saccade/kind.js';
import { init, type InitOptions, type WasmVariant } from './wasm/loader.js';
import { RemoteDetector } from './threads/remote-detector.js';
import { resolveThreads, type ThreadsOption } from './threads/threads-option.js';

export interface DetectorOptions {
  /** The weight file: bytes, a path or URL, or omitted for the bundled default model. */
  model?: ModelSource;
  /** Detections scoring below this are dropped (default 0.3). */
  scoreThreshold?: number;
  /** At most this many detections, best first (default 100). */
  maxResults?: number;
  /** Network input [height, width] (or one number: a square); default the model's training size. Multiples of the architecture's size multiple. */
  inputSize?: [number, number] | number;
  /**
   * Multi-size test: run each image at each of these input sizes and merge the detections (see
   * merge). Default: the model's testSizes where it has them (`train` chooses them on --val), else
   * inputSize alone. Not with inputSize or keepResolution.
   */
  inputSizes?: ([number, number] | number)[];
  /**
   * How the detections of several runs of an image (inputSizes, scales) are merged: 'soft-nms'
   * (per-class soft-NMS, the papers' multi-scale test) or 'wbf' (weighted boxes fusion: boxes the
   * runs agree on keep their score, the others lose). Default: the model's testMerge, else 'soft-nms'.
   */
  merge?: TestMerge;
  /**
   * Run each image at its own (test-scaled) size instead of resizing it to inputSize, padded as
   * the official tests do: CenterNet's --keep_res, (side | 31) + 1 ((side | 127) + 1 for
   * hourglass); CornerNet's test, side | 127 (128k - 1), boxes mapped back by in / out. The mask
   * is the architecture's preferred multiple (sizeMultiple) minus one. Plans are cached by size
   * (the detector's own and the last other one).
   */
  keepResolution?: boolean;
  /** Flip test: also run the mirrored image and merge (CenterNet averages maps, CornerNet merges boxes). */
  flip?: boolean;
  /** Multi-scale test: image scales, merged by soft-NMS (default [1]). */
  scales?: number[];
  /** Kernel loading options, passed to init(). */
  wasm?: InitOptions['wasm'];
  /** Most bytes of kernel memory the detector's plan may take (default 2 GiB); a larger need is an Error before memory grows. */
  memoryLimit?: number;
  /**
   * The Winograd kernel for the 3x3 stride-1 convs (1.2-1.5x faster per detection, 16/9 of their
   * weights' memory): true (the default) from the start; 'after-first-run' packs it at each input
   * size's second run, so that a process's first detection comes sooner (a serverless cold start:
   * 113 -> 98 ms for the default model here) and the second pays for the packing once. Its first
   * detection's values then differ from later ones in the last float bits (direct against Winograd
   * arithmetic); with true or false every call gives the same values. false: never.
   */
  winograd?: boolean | 'after-first-run';
  /**
   * Threads the kernels use (default 1; 'auto': the cores up to 4 where SharedArrayBuffer and
   * workers exist, else 1). More than one runs the detector in a worker with a pool of helpers.
   */
  threads?: ThreadsOption;
  /**
   * Run detect() and infer() in a worker, off the calling thread, so a server's event loop keeps
   * answering (default: when threads > 1). Calls queue in order; create several detectors to run them side by side.
   */
  worker?: boolean;
}

/** Every option name create() knows: the Record makes the compiler insist that a new option is listed. */
const OPTION_NAMES: Record<keyof DetectorOptions, true> = {
  model: true, scoreThreshold: true, maxResults: true, inputSize: true, inputSizes: true, merge: true, flip: true, scales: true, wasm: true, memoryLimit: true, winograd: true, keepResolution: true, threads: true, worker: true,
};

export interface InferOptions {
  /** Layout of the input and of the returned outputs: 'NHWC' [1,H,W,C] (default) or 'NCHW' [1,C,H,W]. */
  layout?: Layout;
}

const INFER_OPTIONS: Record<keyof InferOptions, true> = { layout: true };
/**
 * Plans alive at once: the detector's own input sizes and one more,
 * unless the model's packed weights exceed this: each plan packs its own copy, and wasm memory
 * never shrinks, so a second Hourglass-104 plan would cost another ~800 MB for good. Such models
 * keep one plan and rebuild it when the size changes.
 */
const LARGE_MODEL_WEIGHT_BYTES = 64 * 2 ** 20;

/** Parts of the detector in modules of their own, loaded by create() only where a detector runs them. */
interface LazyParts {
  fuse?: typeof import('./decode/box-fusion.js').fuseDetections;
  saccade?: typeof import('./saccade/index.js').detectSaccade;
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
  private plans: PlanCache | undefined;
  /** Worker mode: the detector lives in a worker and this object forwards to it. */
  private remote: RemoteDetector | undefined;
  /** Head outputs of the unflipped run, copied out of kernel memory into arrays reused by every call. */
  private readonly headBuffers = new Map<string, Float32Array>();
  /** Head -> the name infer() gives its output (the official model's). */
  private readonly outputNames: Record<string, string>;
  /** The kernel build the network runs on (kernelVariant). */
  private variant: WasmVariant = 'simd';
  /** Their memory (kernelMemoryBytes); a worker's detector has none here. */
  private memory: WebAssembly.Memory | undefined;

  private constructor(
    readonly config: ModelConfig,
    private readonly graph: Graph,
    plans: PlanCache | undefined,
    /** The input sizes detect() runs each image at (one, or a multi-size test's); the first is inputSize. */
    private readonly sizes: [number, number][],
    private readonly heads: Record<string, string>,
    private readonly scoreThreshold: number,
    private readonly maxResults: number,
    private readonly flip: boolean,
    private readonly scales: number[],
    private readonly keepResolution: boolean,
    /** Code that create() loads only for the detectors that run it: boxes fusion (merge 'wbf'), the saccade procedure. */
    private readonly lazy: LazyParts,
  ) {
    this.plans = plans;
    this.outputNames = outputNamesOf(config.detector, Object.keys(heads), config.outputNames);
  }

  static async create(options: DetectorOptions = {}): Promise<ObjectDetector> {
    if (typeof options !== 'object' || options === null) throw new Error('ObjectDetector.create: options must be an object');
    checkOptionNames('ObjectDetector.create', 'option', options, Object.keys(OPTION_NAMES));
    const { scoreThreshold = 0.3, maxResults = 100, flip = false, scales = [1] } = options;
    if (typeof scoreThreshold !== 'number' || !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
      throw new Error(`ObjectDetector.create: scoreThreshold must be a number in [0, 1], got ${String(scoreThreshold)}`);
    }
    if (!Number.isInteger(maxResults) || maxResults < 1) throw new Error(`ObjectDetector.create: maxResults must be a positive integer, got ${String(maxResults)}`);
    if (typeof flip !== 'boolean') throw new Error(`ObjectDetector.create: flip must be a boolean, got ${String(flip)}`);
    const { keepResolution = false } = options;
    if (typeof keepResolution !== 'boolean') throw new Error(`ObjectDetector.create: keepResolution must be a boolean, got ${showValue(keepResolution)}`);
    if (!Array.isArray(scales) || scales.length === 0 || !scales.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) {
      throw new Error(`ObjectDetector.create: scales must be a non-empty array of positive numbers, got ${showValue(scales)}`);
    }
    const askedSize = checkInputSize(options.inputSize);
    const askedSizes = checkInputSizes(options.inputSizes);
    if (askedSizes && (askedSize || keepResolution)) throw new Error(`ObjectDetector.create: inputSizes cannot go with ${askedSize ? 'inputSize' : 'keepResolution'}`);
    const merge = options.merge === undefined ? undefined : checkTestMerge(options.merge, 'ObjectDetector.create: merge');
    const { memoryLimit = DEFAULT_MEMORY_LIMIT } = options;
    if (typeof memoryLimit !== 'number' || !Number.isInteger(memoryLimit) || memoryLimit < 1 || memoryLimit > MAX_MEMORY_LIMIT) {
      throw new Error(`ObjectDetector.create: memoryLimit must be a whole number of bytes in [1, ${MAX_MEMORY_LIMIT}], got ${showValue(memoryLimit)}`);
    }
    const { winograd = true } = options;
    if (winograd !== true && winograd !== false && winograd !== 'after-first-run') {
      throw new Error(`ObjectDetector.create: winograd must be true, false or 'after-first-run', got ${showValue(winograd)}`);
    }
    const threads = await resolveThreads('ObjectDetector.create', options.threads === undefined ? 1 : options.threads);
    const { worker = threads > 1 } = options;
    if (typeof worker !== 'boolean') throw new Error(`ObjectDetector.create: worker must be a boolean, got ${showValue(worker)}`);
    if (threads > 1 && !worker) throw new Error(`ObjectDetector.create: threads ${threads} runs in a worker; worker: false allows only threads: 1`);
    if (worker) return ObjectDetector.inWorker(options, threads);
    const kn = await init(options.wasm !== undefined ? { wasm: options.wasm } : {});
    const loaded = await loadModelBytes(options.model);
    const { source } = loaded;
    // the plans keep views of the file's weights for later sizes (weightViews): a caller's own buffer
    // is copied, so that it may be reused or changed after create() (a file read here is ours already)
    const callerBytes = options.model instanceof Uint8Array || options.model instanceof ArrayBuffer;
    const bytes = callerBytes ? loaded.bytes.slice() : loaded.bytes;
    const parsed = parseSafetensors(bytes, source);
    // a quantised model's reader and int8 steps come in code of their own, loaded only for such models
    const int8Code = parsed.metadata[INT8_KEY] !== undefined ? await import('./engine/int8-step.js') : undefined;
    const file = modelFromSafetensors(parsed, { decodeF16: wasmF16Decoder(kn), weightViews: true }, int8Code?.INT8_SUPPORT);
    // inputSize alone, inputSizes, or the model's own: its multi-size test (not with keepResolution, which sizes each image itself)
    const sizes = askedSize ? [askedSize] : (askedSizes ?? (!keepResolution && file.config.testSizes ? file.config.testSizes : [file.config.inputSize]));
    const [height, width] = sizes[0];
    const heads = inferenceHeads(file.graph);
    // a quantised model's int8 layers run on the int8 kernels: a wasm module of their own, on init()'s
    // kernels or, where those are SIMD128 by calibration and the relaxed build's int8 is faster, on a
    // relaxed instance of the model's own (engine/int8-kernels.ts); kernels the caller gave are kept
    const planKernels = file.int8 && int8Code && options.wasm === undefined ? (await int8Code.int8BaseKernels(kn)).kernels : kn;
    const int8 = file.int8 && int8Code && (await int8Code.int8PlanSteps(planKernels, file.int8));
    const build = (h: number, w: number) => ExecutionPlan.build(planKernels, file.graph, file.tensors, heads, h, w, { memoryLimit, winograd, ...(int8 ? { int8 } : {}) });
    let first: ExecutionPlan;
    try {
      // every size checked before the first plan takes kernel memory
      for (const [h, w] of sizes) inferShapes(file.graph, h, w);
      first = build(height, width);
    } catch (e) {
      throw new Error(`ObjectDetector.create: ${source}: ${(e as Error).message}`);
    }
    // a plan for each of the detector's sizes, and one more (infer() on another size, keepResolution's)
    const plans = new PlanCache(build, first.stats.weightBytes > LARGE_MODEL_WEIGHT_BYTES ? 1 : sizes.length + 1);
    plans.add(height, width, first);
    // boxes fusion and CornerNet-Saccade's procedure come in code of their own (a page's bundler splits them out), loaded where used
    const lazy: LazyParts = {
      fuse: (merge ?? file.config.testMerge) === 'wbf' ? (await import('./decode/box-fusion.js')).fuseDetections : undefined,
      saccade: isSaccadeModel(file.config) ? (await import('./saccade/index.js')).detectSaccade : undefined,
    };
    const detector = new ObjectDetector(file.config, file.graph, plans, sizes, heads, scoreThreshold, maxResults, flip, [...scales], keepResolution, lazy);
    detector.variant = planKernels.variant;
    detector.memory = planKernels.exports.memory;
    return detector;
  }

  /** Worker mode: the same detector built in a worker (runtime/threads/), this object its proxy. */
  private static async inWorker(options: DetectorOptions, threads: number): Promise<ObjectDetector> {
    const { threads: _threads, worker: _worker, ...rest } = options;
    // what structured clone cannot carry: a URL goes as its href
    const cloneable = { ...rest, ...(rest.model instanceof URL ? { model: rest.model.href } : {}), ...(rest.wasm instanceof URL ? { wasm: rest.wasm.href } : {}) };
    const { remote, created } = await RemoteDetector.start({ options: cloneable, threads });
    const c = created as { config: ModelConfig; graph: Graph; inputSizes: [number, number][]; heads: Record<string, string>; variant: WasmVariant };
    const det = new ObjectDetector(c.config, c.graph, undefined, c.inputSizes, c.heads, 0, 1, false, [1], false, {});
    det.remote = remote;
    det.variant = c.variant;
    return det;
  }

  /** What a proxy in another thread needs besides the config (detector-worker.ts). */
  remoteParts(): { graph: Graph; heads: Record<string, string>; variant: WasmVariant } {
    return { graph: this.graph, heads: this.heads, variant: this.variant };
  }

  /**
   * The kernel build the network runs on: 'simd' (SIMD128) or 'relaxed' (relaxed SIMD). init()'s
   * choice, except for an int8 model where init() chose SIMD128 by calibration and the relaxed
   * build runs the int8 layers faster (engine/int8-kernels.ts): that model gets relaxed kernels of
   * its own. A worker's detector reports its worker's.
   */
  get kernelVariant(): WasmVariant {
    return this.variant;
  }

  /** Bytes of the kernel memory the network runs in (its weights, activations, scratch); undefined in worker mode. */
  get kernelMemoryBytes(): number | undefined {
    return this.memory?.buffer.byteLength;
  }

  /** Input size [height, width] that detect() resizes images to (unless keepResolution); a multi-size test's first. */
  get inputSize(): [number, number] {
    if (!this.remote) this.livePlans();
    return [this.sizes[0][0], this.sizes[0][1]];
  }

  /** Every input size detect() runs an image at: [inputSize], or a multi-size test's sizes. */
  get inputSizes(): [number, number][] {
    return this.sizes.map(([h, w]) => [h, w]);
  }

  /**
   * The raw head outputs of the last stack for an already-normalised network input of any size
   * the architecture takes, before any sigmoid, in `layout`, keyed by the official model's names
   * (CenterNet `hm`, `wh`, `reg`; CornerNet `tl_heats`, `br_heats`, `tl_tags`, `br_tags`,
   * `tl_regrs`, `br_regrs`, or CornerNet-Lite's `tl_offs`, `br_offs`; any other head by its name).
   */
  async infer(input: Tensor, options: InferOptions = {}): Promise<Record<string, Tensor>> {
    const fn = 'ObjectDetector.infer';
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error(`${fn}: options must be an object { layout? }, got ${showValue(options)}`);
    checkOptionNames(fn, 'option', options, Object.keys(INFER_OPTIONS));
    if (this.remote) {
      checkNetworkInput(fn, input, checkLayout(fn, options.layout ?? 'NHWC'), this.graph.inputChannels);
      return (await this.remote.request('infer', { input: { data: input.data, shape: input.shape }, options })) as Record<string, Tensor>;
    }
    const layout = checkLayout(fn, options.layout ?? 'NHWC');
    const { height, width } = checkNetworkInput(fn, input, layout, this.graph.inputChannels);
    const plan = this.planFor(fn, height, width);
    writeNHWC(input, layout, plan.inputView());
    plan.run();
    return Object.fromEntries(Object.keys(this.heads).map((head) => [this.outputNames[head], fromNHWC(plan.output(head), layout)]));
  }

  /** Detections score-descending, boxes in original-image pixels. */
  async detect(image: ImageInput): Promise<DetectedObject[]> {
    if (this.remote) {
      checkImage('detect', image);
      const { data, width, height, channels } = image;
      return (await this.remote.request('detect', { image: { data, width, height, channels } })) as DetectedObject[];
    }
    this.livePlans();
    // first: errors name detect's argument, and no size is read from an unchecked image
    checkImage('detect', image);
    const norm = { mean: this.config.mean, std: this.config.std };
    const settings = decodeSettings(this.config);
    // each run's detections (one size at one scale; CornerNet's flipped run joins its own)
    const perRun: Detection[][] = [];
    // CornerNet-Saccade runs its own procedure (crops at attended locations), merged by its own soft-NMS
    const { saccade, fuse } = this.lazy;
    const runs = saccade ? [] : this.sizes.flatMap((size) => this.scales.map((scale) => ({ size, scale })));
    for (const { size, scale } of runs) {
      const dets: Detection[] = [];
      perRun.push(dets);
      const [inputHeight, inputWidth] = this.inputSizeFor(image, size, scale);
      const plan = this.planFor('detect', inputHeight, inputWidth);
      // the decodes run at stride 1 (feature-map cells); toInput maps cells to input pixels by in / out per axis
      const toInput = inputScaler(plan, this.config.detector === 'centernet' ? CENTERNET_HEADS.heatmap : CORNERNET_HEADS.tlHeatmap);
      const warper = wasmWarper(plan.kernels);
      if (this.config.detector === 'centernet') {
        const pre = this.keepResolution
          ? preprocessCornerNet(image, { ...norm, inputWidth, inputHeight, scale, out: plan.inputView(), warper })
          : preprocessCenterNet(image, { ...norm, inputWidth, inputHeight, scale, out: plan.inputView(), warper });
        // mirrored now: pre.input is a view of kernel memory, which later calls may grow (detach)
        const mirrored = this.flip ? flipHorizontal(pre.input) : undefined;
        const out = this.forward(plan);
        // one run: the decode takes the logits (only its candidates get a sigmoid); flip test: averaged probabilities
        let heat = out[CENTERNET_HEADS.heatmap];
        let wh = out[CENTERNET_HEADS.size];
        if (mirrored) {
          const flipped = this.forward(plan, mirrored);
          heat = averageWithFlipped(ops.sigmoid(heat), ops.sigmoid(flipped[CENTERNET_HEADS.heatmap]));
          wh = averageWithFlipped(wh, flipped[CENTERNET_HEADS.size]);
        }
        const found = decodeCenterNet({ heatmap: heat, wh, offset: out[CENTERNET_HEADS.offset] }, { k: settings.k, kernel: settings.kernel, stride: 1, logits: !mirrored });
        dets.push(...toOriginal(toInput(found), pre.transform));
      } else {
        // fixed size: the image fitted into the input; keepResolution: the official test's own-size input
        const fit = this.keepResolution ? 1 : Math.min(inputWidth / image.width, inputHeight / image.height);
        const pre = preprocessCornerNet(image, { ...norm, inputWidth, inputHeight, scale: fit * scale, out: plan.inputView(), warper });
        const mirrored = this.flip ? flipHorizontal(pre.input) : undefined;
        const options = { k: settings.k, kernel: settings.kernel, aeThreshold: settings.aeThreshold, numDets: settings.numDets, pairScore: settings.pairScore, stride: 1 };
        const found = decodeCornerNet(cornerHeads(this.forward(plan)), options);
        dets.push(...toOriginal(toInput(found), pre.transform, true));
        if (mirrored) {
          const back = mirrorDetections(toInput(decodeCornerNet(cornerHeads(this.forward(plan, mirrored)), options)), inputWidth);
          dets.push(...toOriginal(back, pre.transform, true));
        }
      }
    }
    // CornerNet always merges its corner pairs by soft-NMS; CenterNet only when several outputs meet
    const cornerNet = this.config.detector === 'cornernet';
    const soft = (d: Detection[]) => cornerNetPostprocess(d, { maxResults: this.maxResults });
    let dets: Detection[];
    if (saccade) {
      const plan = this.planFor('detect', this.sizes[0][0], this.sizes[0][1]);
      dets = saccade(image, this.config, { inputShape: plan.inputShape, input: () => plan.inputView(), forward: () => this.forward(plan) }, { ...norm, channelOrder: 'rgb' });
    } else if (runs.length > 1 && fuse) {
      // fusion across the runs, each run's own detections first as one run would return them
      dets = fuse(cornerNet ? perRun.map(soft) : perRun, { maxResults: this.maxResults });
    } else {
      dets = cornerNet || runs.length > 1 ? soft(perRun.flat()) : perRun.flat().sort(byScoreDescending);
    }
    return dets
      .filter((d) => d.score >= this.scoreThreshold)
      .slice(0, this.maxResults)
      .map((d) => ({ box: d.box, bbox: toXywh(d.box), score: d.score, classId: d.classId, label: this.config.labels[d.classId] ?? `class${d.classId}` }));
  }

  /** Frees the detector's kernel memory (every cached plan); detect() and infer() afterwards are Errors. */
  close(): void {
    this.remote?.close();
    this.plans?.clear();
    this.plans = undefined;
  }

  private livePlans(): PlanCache {
    if (!this.plans) throw new Error('ObjectDetector: used after close()');
    return this.plans;
  }

  /** The cached plan for an input size; a size the graph cannot compute is an Error listing sizes that fit. */
  private planFor(fn: string, height: number, width: number): ExecutionPlan {
    const plans = this.livePlans();
    try {
      inferShapes(this.graph, height, width);
    } catch (e) {
      throw new Error(`${fn}: ${(e as Error).message}`);
    }
    return plans.get(height, width);
  }

  /** [height, width] of the network input for one image at one test scale. */
  private inputSizeFor(image: ImageInput, size: [number, number], scale: number): [number, number] {
    if (!this.keepResolution) return size;
    const side = (n: number) => {
      const resized = Math.floor(n * scale);
      if (resized < 1) throw new Error(`detect: scale ${scale} shrinks the ${image.width}x${image.height} image to nothing`);
      return keepResolutionSide(this.config.detector, resized, this.graph.sizeMultiple);
    };
    return [side(image.height), side(image.width)];
  }

  /**
   * Runs the network on `input`, or on what preprocessing wrote into the plan's input buffer; the
   * latter copies the heads into the detector's reused buffers, so a plain detect() allocates no
   * large arrays (process memory stays flat over many calls).
   */
  private forward(plan: ExecutionPlan, input?: Tensor): Record<string, Tensor> {
    plan.run(input?.data);
    return Object.fromEntries(
      Object.keys(this.heads).map((head) => {
        if (input) return [head, plan.output(head)];
        const view = plan.outputView(head);
        // one set of buffers, resized when a plan of another size runs
        const n = view.shape[1] * view.shape[2] * view.shape[3];
        let buffer = this.headBuffers.get(head);
        if (buffer?.length !== n) this.headBuffers.set(head, (buffer = new Float32Array(n)));
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
 * Feature-map boxes (a decode at stride 1) to network-input pixels: x * in_w / out_w, y * in_h / out_h,
 * as the official CornerNet test divides by its ratios out / in (128 / 511 for a 511 input). For
 * inputs that are multiples of the stride this is the stride itself (CenterNet's post-process).
 */
function inputScaler(plan: ExecutionPlan, heatmap: string): (dets: Detection[]) => Detection[] {
  const [, inH, inW] = plan.inputShape;
  const [, outH, outW] = plan.outputView(heatmap).shape;
  const sx = inW / outW;
  const sy = inH / outH;
  return (dets) => dets.map((d) => ({ ...d, box: { xmin: d.box.xmin * sx, ymin: d.box.ymin * sy, xmax: d.box.xmax * sx, ymax: d.box.ymax * sy } }));
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

/** The wasm32 ceiling: kernel memory can never exceed 4 GiB. */
const MAX_MEMORY_LIMIT = 2 ** 32;

/** A network input side: a positive integer. */
const isSide = (s: unknown): s is number => typeof s === 'number' && Number.isInteger(s) && s >= 1;

/** N (a square) or [height, width] as [height, width]; undefined when it is neither. */
function asSize(v: unknown): [number, number] | undefined {
  if (isSide(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every(isSide)) return [v[0], v[1]];
  return undefined;
}

/** options.inputSize as [height, width]: one number is a square; NaN and strings are named as they are. */
function checkInputSize(v: unknown): [number, number] | undefined {
  if (v === undefined) return undefined;
  const size = asSize(v);
  if (!size) throw new Error(`ObjectDetector.create: inputSize must be a positive integer (a square) or [height, width] of positive integers, got ${showValue(v)}`);
  return size;
}

/** options.inputSizes as [height, width] pairs: 1 to MAX_TEST_SIZES sizes, each as inputSize takes it. */
function checkInputSizes(v: unknown): [number, number][] | undefined {
  if (v === undefined) return undefined;
  const sizes = Array.isArray(v) && v.length >= 1 && v.length <= MAX_TEST_SIZES ? v.map(asSize) : [];
  if (sizes.length === 0 || !sizes.every(Boolean)) throw new Error(`ObjectDetector.create: inputSizes must be 1 to ${MAX_TEST_SIZES} sizes, each N or [height, width], got ${showValue(v)}`);
  return sizes as [number, number][];
}

/** A value as the caller wrote it: NaN stays NaN (JSON would print null), strings keep their quotes. */
function showValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Object.prototype.toString.call(v);
}


