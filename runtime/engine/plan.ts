// The execution plan: a model graph compiled once per (model, input size) into a list of kernel
// calls on fixed heap buffers. Batch norm is folded into the preceding conv, conv weights are
// packed once, activations share liveness-planned slots (memory-plan.ts), so `run` allocates
// nothing: repeated detections reuse the same memory.
import { DCN_OFFSET_MASK, INPUT, inferShapes, pruneTo, type ConvNode, type Graph, type GraphNode, type NodeShape } from '../model/graph.js';
import { affineChannelsInto, concatChannelsInto, reluInto, upsampleNearestInto } from '../ops/elementwise.js';
import { cornerPoolInto, cornerPoolPairAddInto, maxPool2dInto, poolGeometry } from '../ops/pooling.js';
import type { Tensor } from '../ops/tensor.js';
import type { Kernels } from '../wasm/loader.js';
import { runRows } from '../threads/run-rows.js';
import { buildConvStep, buildDcnStep, buildDeconvStep, type KernelStep } from './conv-steps.js';
import { winogradFits, winogradScratchBytes } from '../ops/conv-packed.js';
import type { Int8PlanSteps } from './int8-step.js';
import { foldBatchNormForPacking, bnScaleShift } from './fold.js';
import type { WeightData } from '../weights/half-floats.js';
import { planMemory, type PlannedValue } from './memory-plan.js';

export interface PlanStats {
  /** Bytes of packed weights (and folded bias) on the kernel heap. */
  weightBytes: number;
  /** Bytes of activation slots (input and outputs included). */
  activationBytes: number;
  /** Bytes of the largest set of simultaneously live activations: the floor for activationBytes. */
  peakLiveBytes: number;
  /** Bytes of shared scratch (im2col rows etc.). */
  scratchBytes: number;
  steps: number;
  /** Convs run by the Winograd kernel (3x3, stride 1; the others by the direct kernels); with winograd 'after-first-run', from the second run on. */
  winogradConvs: number;
}

export interface PlanOptions {
  /** Most bytes of kernel memory the plan may take (activations and weights); default DEFAULT_MEMORY_LIMIT. */
  memoryLimit?: number;
  /** A quantised model's int8 layers and how to run them (int8-step.ts int8PlanSteps). */
  int8?: Int8PlanSteps;
  /**
   * Called during run() with each node's output as soon as it is computed (and with the input
   * first, as 'input'): a view of kernel memory, valid only during the call. The quantiser's
   * calibration reads activation ranges through it.
   */
  observe?: (node: string, values: Float32Array) => void;
  /**
   * Run the 3x3 stride-1 convs with the Winograd kernel (runtime/ops/conv-packed.ts: 1.5-2x faster,
   * 16/9 of their packed weights' memory). Default true where the memory limit allows it (else
   * every conv runs direct); false always runs them direct. 'after-first-run': direct in the build
   * and the first run, packed for Winograd at the start of the second run (what the detector does:
   * a process's first detection skips Winograd's packing and its memory's first touch, 15-17 ms of
   * the default model's ~115 ms cold start on this project's VM; every later run is Winograd's).
   */
  winograd?: boolean | 'after-first-run';
}

/**
 * 2 GiB: far above what the bundled and official models need at their sizes (hundreds of MiB),
 * far below the 4 GiB wasm32 ceiling. Kernel memory never shrinks, so an input size a model file
 * or a caller asks for must be refused before anything grows, not after.
 */
export const DEFAULT_MEMORY_LIMIT = 2 ** 31;

const MIB = 2 ** 20;
/** Each activation buffer's start in the arena: the heap's own alignment (wasm/heap.ts), as separate allocations had. */
const ARENA_ALIGN = 16;

export class ExecutionPlan {
  private released = false;
  /** Convs to repack for Winograd before the second run (winograd 'after-first-run'). */
  private upgrades: (() => void)[] = [];
  private ran = false;

  private constructor(
    private readonly kn: Kernels,
    private readonly steps: KernelStep[],
    private readonly owned: number[],
    private readonly releasers: (() => void)[],
    private readonly inputPtr: number,
    readonly inputShape: [number, number, number, number],
    private readonly outputs: Map<string, { ptr: number; shape: [number, number, number, number] }>,
    readonly stats: PlanStats,
  ) {}

  /**
   * Compiles `graph` for a 1 x height x width x channels input, computing `heads` (head name ->
   * node). `weights` holds every parameter by its paramSpecs name (checked by the weight parser); the
   * weights of conv, deconv and dcn layers may be half bits (the packers decode them in kernel memory).
   */
  static build(kn: Kernels, graph: Graph, weights: ReadonlyMap<string, WeightData>, heads: Record<string, string>, height: number, width: number, options: PlanOptions = {}): ExecutionPlan {
    const shapes = inferShapes(graph, height, width);
    const nodes = pruneTo(graph, Object.values(heads));
    const shape4 = (name: string): [number, number, number, number] => {
      const s = shapes.get(name)!;
      return [1, s.h, s.w, s.c];
    };
    const size = (s: NodeShape) => s.h * s.w * s.c;

    // fuse "add of two corner pools" into one pass where the pooled maps are used only by the add
    const uses = new Map<string, number>();
    for (const node of nodes) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
    const fusedPools = new Set<string>();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const pairOf = new Map<string, [GraphNode & { op: 'cornerpool' }, GraphNode & { op: 'cornerpool' }]>();
    for (const node of nodes) {
      if (node.op !== 'add') continue;
      const [a, b] = node.inputs.map((n) => byName.get(n));
      if (a?.op !== 'cornerpool' || b?.op !== 'cornerpool' || uses.get(a.name) !== 1 || uses.get(b.name) !== 1) continue;
      const vertical = [a, b].find((p) => p.direction === 'top' || p.direction === 'bottom');
      const horizontal = [a, b].find((p) => p.direction === 'left' || p.direction === 'right');
      if (!vertical || !horizontal) continue;
      pairOf.set(node.name, [vertical, horizontal]);
      fusedPools.add(a.name).add(b.name);
    }
    const live = nodes.filter((n) => !fusedPools.has(n.name));

    const values: PlannedValue[] = live.map((node) => ({
      name: node.name,
      size: size(shapes.get(node.name)!),
      inputs: pairOf.has(node.name) ? pairOf.get(node.name)!.map((p) => p.inputs[0]) : node.inputs,
      inPlace: node.op === 'relu' || node.op === 'add' || node.op === 'batchnorm',
    }));
    const memory = planMemory(values, Object.values(heads), [INPUT]);
    // before the first allocation: a failed plan must not leave the kernel memory grown
    const activationNeed = (memory.slotSizes.reduce((s, n) => s + n, 0) + size(shapes.get(INPUT)!)) * 4;
    let weightNeed = 0;
    for (const t of weights.values()) weightNeed += t.length * 4;
    // int8 layers that `weights` holds no f32 equivalent of (a detector's model file): their codes
    for (const [name, layer] of options.int8?.layers ?? []) if (!weights.has(`${name}.weight`)) weightNeed += layer.codes.length + (layer.scales.length + layer.bias.length) * 4;
    const limit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    // Winograd's extra weight memory: 16 transformed planes in place of 9 taps, plus its scratch
    let winogradExtra = 0;
    let winogradScratch = 0;
    // the fp32 convs Winograd can run: decided here once, for the memory check and the steps
    const winogradNodes = new Set<string>();
    for (const node of live) {
      if (node.op !== 'conv' || options.int8?.layers.has(node.name) || !winogradFits(node.kernel, node.kernel, node.cin, node.cout, node.groups, node.stride, node.dilation)) continue;
      winogradNodes.add(node.name);
      winogradExtra += (kn.exports.winogradPackedFloats(node.cin, node.cout) - 9 * node.cin * node.cout) * 4;
      winogradScratch = Math.max(winogradScratch, winogradScratchBytes(kn, node.cin, node.cout));
    }
    if (options.winograd !== undefined && options.winograd !== true && options.winograd !== false && options.winograd !== 'after-first-run') {
      throw new Error(`execution plan: options.winograd must be true, false or 'after-first-run', got ${JSON.stringify(options.winograd)}`);
    }
    const winograd = options.winograd !== false && winogradExtra > 0 && activationNeed + weightNeed + winogradExtra + winogradScratch <= limit;
    if (activationNeed + weightNeed > limit) {
      throw new Error(
        `input size ${height}x${width} needs ${Math.ceil((activationNeed + weightNeed) / MIB)} MiB of kernel memory ` +
          `(activations ${Math.ceil(activationNeed / MIB)} MiB, weights ${Math.ceil(weightNeed / MIB)} MiB), more than the limit of ` +
          `${limit < MIB ? `${limit} bytes` : `${Math.floor(limit / MIB)} MiB`}: use a smaller inputSize, or raise memoryLimit`,
      );
    }

    const owned: number[] = [];
    const releasers: (() => void)[] = [];
    const alloc = (bytes: number) => {
      const ptr = kn.heap.alloc(bytes);
      owned.push(ptr);
      return ptr;
    };
    let weightBytes = 0;
    const allocWeights = (data: Float32Array) => {
      weightBytes += data.byteLength;
      const ptr = alloc(data.byteLength);
      kn.heap.f32(ptr, data.length).set(data);
      return ptr;
    };
    try {
      const inputShape = shape4(INPUT);
      // the input and the slots in one allocation: nothing uses it before the first run, so the
      // packers copy each layer's weights into it for packing (stage-weights.ts says why)
      const buffers = [size(shapes.get(INPUT)!), ...memory.slotSizes].map((n) => Math.ceil((n * 4) / ARENA_ALIGN) * ARENA_ALIGN);
      const starts: number[] = [];
      let arenaBytes = 0;
      for (const bytes of buffers) {
        starts.push(arenaBytes);
        arenaBytes += bytes;
      }
      const arena = alloc(arenaBytes);
      const [inputPtr, ...slotPtrs] = starts.map((start) => arena + start);
      const staging = { ptr: arena, bytes: arenaBytes };
      const ptrOf = (name: string) => (name === INPUT ? inputPtr : slotPtrs[memory.slotOf.get(name)!]);

      const steps: KernelStep[] = [];
      const upgrades: (() => void)[] = [];
      let scratchBytes = 0;
      let winogradConvs = 0;
      // one buffer of input codes for all int8 steps, which run one at a time
      const int8 = options.int8;
      let codesPtr = 0;
      if (int8 && int8.layers.size > 0) {
        let codesBytes = 0;
        for (const node of live) {
          const layer = node.op === 'conv' || node.op === 'deconv' ? int8.layers.get(node.name) : undefined;
          if (layer) codesBytes = Math.max(codesBytes, int8.codesBytes(layer, shape4(node.inputs[0])));
        }
        if (codesBytes > 0) {
          codesPtr = alloc(codesBytes);
          scratchBytes += codesBytes;
        }
      }
      const observe = options.observe;
      if (observe) {
        const n = size(shapes.get(INPUT)!);
        steps.push(() => observe(INPUT, kn.heap.f32(inputPtr, n)));
      }
      for (const node of live) {
        const out = ptrOf(node.name);
        const outShape = shape4(node.name);
        const inShape = shape4(node.inputs[0]);
        const x = ptrOf(node.inputs[0]);
        // a layer's packed weights (f32 or half bits), and its other parameters (f32)
        const weight = (suffix: string) => {
          const t = weights.get(`${node.name}.${suffix}`);
          if (!t) throw new Error(`execution plan: weight ${node.name}.${suffix} is missing`);
          return t;
        };
        const param = (suffix: string) => {
          const t = weight(suffix);
          if (!(t instanceof Float32Array)) throw new Error(`execution plan: weight ${node.name}.${suffix} must be f32 values, not half bits`);
          return t;
        };
        const layer8 = node.op === 'conv' || node.op === 'deconv' ? int8?.layers.get(node.name) : undefined;
        if ((node.op === 'conv' || node.op === 'deconv') && layer8) {
          const built = int8!.build(node, layer8, x, inShape, codesPtr, out, outShape);
          weightBytes += built.weightBytes;
          releasers.push(built.release);
          steps.push(built.run);
        } else switch (node.op) {
          case 'conv':
          case 'deconv': {
            const folded = foldBatchNormForPacking(node, param, weight('weight'), kn);
            const useWinograd = node.op === 'conv' && winograd && winogradNodes.has(node.name);
            if (useWinograd && options.winograd === 'after-first-run') {
              // direct now; before the second run the step's packing is swapped for Winograd's (the
              // folded weights stay referenced until then: views of the model's own buffers)
              let current = buildConvStep(kn, node as ConvNode, folded, x, inShape, out, outShape, false);
              weightBytes += current.weightBytes;
              winogradConvs++;
              releasers.push(() => current.release());
              steps.push(() => current.run());
              upgrades.push(() => {
                const next = buildConvStep(kn, node as ConvNode, folded, x, inShape, out, outShape, true);
                current.release();
                current = next;
              });
              break;
            }
            const built = node.op === 'conv' ? buildConvStep(kn, node, folded, x, inShape, out, outShape, useWinograd, staging) : buildDeconvStep(kn, node, folded, x, inShape, out, outShape, staging);
            if (built.winograd) winogradConvs++;
            weightBytes += built.weightBytes;
            scratchBytes += built.scratchBytes;
            releasers.push(built.release);
            steps.push(built.run);
            break;
          }
          case 'dcn': {
            const offsetMask = { weight: weight(`${DCN_OFFSET_MASK}.weight`), bias: param(`${DCN_OFFSET_MASK}.bias`) };
            const built = buildDcnStep(kn, node, foldBatchNormForPacking(node, param, weight('weight'), kn), offsetMask, x, inShape, out, outShape, staging);
            weightBytes += built.weightBytes;
            scratchBytes += built.scratchBytes;
            releasers.push(built.release);
            steps.push(built.run);
            break;
          }
          case 'batchnorm': {
            const { scale, shift } = bnScaleShift(param, '', node.channels, kn);
            const ps = allocWeights(scale);
            const pt = allocWeights(shift);
            const pixels = outShape[1] * outShape[2];
            steps.push(() => affineChannelsInto(kn, x, pixels, node.channels, ps, pt, node.act === 'relu', out));
            break;
          }
          case 'add': {
            const pair = pairOf.get(node.name);
            if (pair) {
              const [v, h] = pair;
              const a = ptrOf(v.inputs[0]);
              const b = ptrOf(h.inputs[0]);
              const vertical = v.direction as 'top' | 'bottom';
              const horizontal = h.direction as 'left' | 'right';
              steps.push(() => {
                cornerPoolPairAddInto(kn, a, b, outShape, vertical, horizontal, out);
                if (node.act === 'relu') reluInto(kn, out, out, outShape[1] * outShape[2] * outShape[3]);
              });
            } else {
              const b = ptrOf(node.inputs[1]);
              const n = outShape[1] * outShape[2] * outShape[3];
              const relu = node.act === 'relu' ? 1 : 0;
              steps.push(() => runRows(kn, { fn: 'addF32', args: [x, b, out, n, relu], rows: n, rowsArg: 3, perRow: [[0, 4], [1, 4], [2, 4]], align: 4 }, n / 4));
            }
            break;
          }
          case 'concat': {
            const parts = node.inputs.map((name) => ({ ptr: ptrOf(name), channels: shapes.get(name)!.c }));
            const pixels = outShape[1] * outShape[2];
            steps.push(() => concatChannelsInto(kn, parts, pixels, out));
            break;
          }
          case 'relu': {
            const n = outShape[1] * outShape[2] * outShape[3];
            steps.push(() => reluInto(kn, x, out, n));
            break;
          }
          case 'maxpool': {
            const g = poolGeometry(node.name, { kernel: node.kernel, stride: node.stride, pad: node.pad });
            steps.push(() => maxPool2dInto(kn, x, inShape, g, out));
            break;
          }
          case 'cornerpool': {
            const direction = node.direction;
            steps.push(() => cornerPoolInto(kn, x, inShape, direction, out));
            break;
          }
          case 'upsample': {
            const factor = node.factor;
            steps.push(() => upsampleNearestInto(kn, x, inShape, factor, out));
            break;
          }
        }
        if (observe) {
          const step = steps[steps.length - 1];
          const n = size(shapes.get(node.name)!);
          const name = node.name;
          steps[steps.length - 1] = () => {
            step();
            observe(name, kn.heap.f32(out, n));
          };
        }
      }
      const outputs = new Map(Object.entries(heads).map(([head, node]) => [head, { ptr: ptrOf(node), shape: shape4(node) }]));
      const activationBytes = memory.slotSizes.reduce((s, n) => s + n * 4, 0) + size(shapes.get(INPUT)!) * 4;
      const stats: PlanStats = { weightBytes, activationBytes, peakLiveBytes: memory.peakLive * 4, scratchBytes: scratchBytes + (winogradConvs > 0 ? winogradScratch : 0), steps: steps.length, winogradConvs };
      const plan = new ExecutionPlan(kn, steps, owned, releasers, inputPtr, inputShape, outputs, stats);
      plan.upgrades = upgrades;
      return plan;
    } catch (e) {
      for (const r of releasers) r();
      for (const p of owned) kn.heap.release(p);
      throw e;
    }
  }

  /**
   * Runs the network on a normalised NHWC input of exactly `inputShape`; without one, on what
   * was written into inputView().
   */
  run(input?: Float32Array): void {
    if (this.released) throw new Error('execution plan: used after release()');
    if (input !== undefined) {
      const n = this.inputShape[1] * this.inputShape[2] * this.inputShape[3];
      if (input.length !== n) throw new Error(`execution plan: input has ${input.length} values, expected ${n} (${this.inputShape.join('x')})`);
      this.kn.heap.f32(this.inputPtr, n).set(input);
    }
    if (this.ran && this.upgrades.length > 0) {
      // once: a conv whose repacking throws (kernel memory exhausted) stays direct, the error is the run's
      for (const upgrade of this.upgrades.splice(0)) upgrade();
    }
    for (const step of this.steps) step();
    this.ran = true;
  }

  /** The kernels the plan runs on (its buffers live in their memory). */
  get kernels(): Kernels {
    return this.kn;
  }

  /** The input buffer itself, to fill before run() (valid until the kernel memory next grows). */
  inputView(): Float32Array {
    if (this.released) throw new Error('execution plan: used after release()');
    return this.kn.heap.f32(this.inputPtr, this.inputShape[1] * this.inputShape[2] * this.inputShape[3]);
  }

  /** A copy of a head's output after run(), NHWC [1, h, w, c]; into `into` when given (of the right length). */
  output(head: string, into?: Float32Array): Tensor {
    const o = this.outputs.get(head);
    if (!o) throw new Error(`execution plan: no head ${head} (heads: ${[...this.outputs.keys()].join(', ')})`);
    const n = o.shape[1] * o.shape[2] * o.shape[3];
    if (into !== undefined && into.length !== n) throw new Error(`execution plan: output buffer for ${head} has ${into.length} values, expected ${n}`);
    const view = this.kn.heap.f32(o.ptr, n);
    return { data: into ? (into.set(view), into) : view.slice(), shape: [...o.shape] };
  }

  /** A head's output in place on the kernel heap (valid until the next run()). */
  outputView(head: string): { ptr: number; shape: [number, number, number, number] } {
    const o = this.outputs.get(head);
    if (!o) throw new Error(`execution plan: no head ${head}`);
    return o;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const r of this.releasers) r();
    for (const p of this.owned) this.kn.heap.release(p);
  }
}
