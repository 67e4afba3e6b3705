// Our runtime next to what users would pick instead (DESIGN.md "Peers"), in one process, on the same
// weights and the same input: the network forward pass of centernet-resnet18 (512x512, 80 classes),
// centernet-tiny and cornernet-tiny (256x256, 6 classes) on
//   - ours: ExecutionPlan.run on our wasm SIMD128 build (and the relaxed-SIMD build where the engine
//     has it: Node 20 needs --experimental-wasm-relaxed-simd),
//   - @tensorflow/tfjs-backend-wasm (XNNPACK, single-threaded: its threaded build does not load in
//     Node) running the same graph through trainer/model/tf-graph.ts with batch norm pre-folded,
//   - onnxruntime-node (native, CPU execution provider) on our ONNX export, one intra-op thread
//     and its default thread count,
//   - onnxruntime-web (wasm, one thread) on the same export,
// and the CenterNet decode step (80 x 128 x 128 heads, k = 100): decodeCenterNet against a plain
// TypeScript port of the official ctdet_decode (sigmoid, _nms as a 3x3 max-pool, torch.topk as a
// full sort per class, then over the C*K candidates).
// Timing: interleaved rounds (bench/interleaved.ts), each running every row once after the check of
// every row's outputs (which is the untimed first round), and each row's median, so that a burst of
// load on a shared VM hits all rows alike; under the table, the issue's ratios from those medians.
// Every time includes handing the input over and reading the heads back, in each runtime's native
// layout (NHWC for ours and tfjs, NCHW for ONNX). Each peer's outputs are checked against ours first.
// Our rows: the single-threaded SIMD128 build, the relaxed-SIMD build where the engine has it, and
// the shared-memory build on 2 threads (runtime/threads); each in f32, then in int8: the same
// weights through quantizeModel (calibrated on the bench input itself), the int8 convs on the int8
// kernels (runtime/wasm/int8-loader.ts; split over the pool in the 2-thread row, as the f32 ones).
// Their 'max err' is the quantisation's, against the f32 row.
// Env: BENCH_PEERS_MODELS=centernet-tiny,... to run a subset. `npm run bench -- peers --json FILE`
// also writes the tables as JSON and the bar chart (bench/bars-svg.ts) beside it as FILE.svg.
import os from 'node:os';
import { barsSvg, type BarGroup } from './bars-svg.js';
import { interleavedRounds, type CaseTimes } from './interleaved.js';
import { loadAverage } from './load-average.js';
import type { BenchOptions } from './run.js';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { decodeCenterNet } from '../runtime/decode/index.js';
import { foldBatchNorm } from '../runtime/engine/fold.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { exportOnnx } from '../runtime/export/onnx.js';
import { paramSpecs, type Graph } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { loadThreadedKernels } from '../runtime/threads/threaded-kernels.js';
import { writeFileAtomic } from '../runtime/util/atomic-write.js';
import { relaxedSimdSupported } from '../runtime/wasm/features.js';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { randomWeights } from '../test/helpers/random-weights.js';
import { quantizeModel } from '../runtime/quantize/quantize-model.js';
import { int8PlanSteps } from '../runtime/engine/int8-step.js';
import { loadInt8Kernels } from '../runtime/wasm/int8-loader.js';
import { readModelFile, writeModelFile } from '../runtime/weights/model-file.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { rng, scaleRelativeError } from '../test/helpers/random.js';

interface ModelCase {
  name: string;
  size: number;
  classes: number;
  /** Timed rounds, each running every peer once (bench/interleaved.ts), after the outputs' check. */
  rounds: number;
}

const MODELS: ModelCase[] = [
  { name: 'centernet-resnet18', size: 512, classes: 80, rounds: 7 },
  { name: 'cornernet-squeeze', size: 511, classes: 80, rounds: 5 },
  { name: 'centernet-tiny', size: 256, classes: 6, rounds: 21 },
  { name: 'cornernet-tiny', size: 256, classes: 6, rounds: 21 },
];

/**
 * Which row a ratio of the issue's goals reads (goalRatios): ours in f32 or int8 on each build, the
 * 2-thread rows, and the peers the goals name.
 */
type Role = `${'f32' | 'int8'}-${'simd' | 'relaxed' | '2-threads'}` | 'ort-node-1' | 'ort-node-default' | 'ort-web';

/** A runnable peer: `run` does one forward pass and returns the heads (for the check, NHWC or NCHW). */
interface Peer {
  label: string;
  role?: Role;
  layout: 'NHWC' | 'NCHW';
  run: () => Promise<Record<string, Float32Array>> | Record<string, Float32Array>;
  close?: () => Promise<void> | void;
}

interface Row {
  peer: string;
  'p50 ms': string;
  'mean ms': string;
  'vs ours': string;
  'max err': string;
}

type OrtModule = typeof import('onnxruntime-node');
type OrtWebModule = typeof import('onnxruntime-web');

/** What `--json` writes: per model, each runtime's latency. */
interface PeersResult {
  machine: string;
  node: string;
  /** What ran: 'Node 20.20.2', or 'Deno 2.9.6 (V8 ...)' (whose process.versions.node is its compatibility layer's). */
  engine: string;
  date: string;
  /** The build init() chooses on this machine and engine (by calibration where it has relaxed SIMD). */
  initPicks: string;
  models: { model: string; input: string; rounds: number; rows: { runtime: string; ours: boolean; meanMs: number; p50Ms: number; vsOurs: number; maxErr: number }[]; ratios: GoalRatio[] }[];
  decode?: { rounds: number; rows: { runtime: string; meanMs: number; p50Ms: number }[] };
}

/** One of the issue's ratios, from the medians of one run: `value` = numerator's p50 / denominator's. */
interface GoalRatio {
  what: string;
  value: number;
  goal: string;
}

export async function run(options: Partial<BenchOptions> = {}): Promise<void> {
  const only = process.env.BENCH_PEERS_MODELS?.split(',').filter(Boolean);
  const models = only ? MODELS.filter((m) => only.includes(m.name)) : MODELS;
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical cores`;
  // Deno and Bun report a Node version too (their compatibility layer): name the engine that runs
  const engine = typeof (globalThis as { Deno?: { version: { deno: string; v8: string } } }).Deno !== 'undefined'
    ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string; v8: string } } }).Deno.version.deno} (V8 ${(globalThis as unknown as { Deno: { version: { v8: string } } }).Deno.version.v8})`
    : `Node ${process.versions.node}`;
  // before any variant is forced: init() with no options keeps what it loaded first
  const initPicks = (await init()).variant;
  console.log(`${machine}, ${engine}; init() picks the ${initPicks} build here`);
  const result: PeersResult = { machine, node: process.versions.node, engine, date: new Date().toISOString(), initPicks, models: [] };
  console.log("Interleaved rounds (bench/interleaved.ts): each round runs every row once. 'vs ours': the row's p50 / the first row's (ours); above 1 ours is faster. 'max err': max |peer - ours| / max |ours| over the heads.");

  const ours: { label: string; variant: 'simd' | 'relaxed' | '2-threads'; kn: Kernels }[] = [{ label: 'ours (wasm SIMD128)', variant: 'simd', kn: await init({ variant: 'simd' }) }];
  if (relaxedSimdSupported()) ours.push({ label: 'ours (wasm relaxed SIMD)', variant: 'relaxed', kn: await init({ variant: 'relaxed' }) });
  else console.log('ours: no relaxed-SIMD row (relaxed SIMD is not enabled in this engine; Node 20: --experimental-wasm-relaxed-simd)');
  ours.push({ label: 'ours (wasm SIMD128, 2 threads)', variant: '2-threads', kn: await loadThreadedKernels(2) });

  const tfWasm = await selectBackend('wasm', { log: () => undefined });
  console.log('tfjs-backend-wasm: single-threaded (its threaded build does not load in Node: WASM_HAS_MULTITHREAD_SUPPORT is off under Node and forcing it fails on a Worker from a blob: URL)');
  const ortNode = await optional<OrtModule>('onnxruntime-node');
  const ortWeb = await optional<OrtWebModule>('onnxruntime-web');
  if (ortWeb) ortWeb.env.wasm.numThreads = 1;

  for (const m of models) {
    const config = preset(m.name, { numClasses: m.classes, inputSize: [m.size, m.size] });
    const graph = buildGraph(config);
    const weights = randomWeights(graph, 1);
    const heads = inferenceHeads(graph);
    const h = m.size;
    const w = m.size;
    const input = uniform(h * w * 3, 2, -2, 2);
    const inputNCHW = toNCHW(input, h, w, 3);
    const onnx = ortNode || ortWeb ? exportOnnx(config, weights) : undefined;

    const int8Layers = readModelFile((await quantizeModel({ model: writeModelFile(config, weights), images: [imageOf(input, h, w, config)] })).bytes).int8!;
    const peers: Peer[] = [];
    for (const int8 of [false, true]) {
      for (const { label, variant, kn } of ours) {
        const steps = int8 ? await int8PlanSteps(kn, int8Layers) : undefined;
        const plan = ExecutionPlan.build(kn, graph, weights, heads, h, w, steps ? { int8: steps } : {});
        // the int8 rows name their int8 build (the pool's is relaxed where the engine has relaxed SIMD) and the layout the plan chose on this engine (runtime/engine/int8-layout.ts)
        const int8Label = async () => {
          const k8 = await loadInt8Kernels(kn);
          return `ours int8 (wasm ${k8.variant === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'}${kn.pool ? `, ${kn.pool.threads} threads` : ''}, ${steps!.layout})`;
        };
        peers.push({
          label: steps ? await int8Label() : label,
          role: `${int8 ? 'int8' : 'f32'}-${variant}`,
          layout: 'NHWC',
          run: () => {
            plan.run(input);
            return Object.fromEntries(Object.keys(heads).map((head) => [head, plan.output(head).data]));
          },
          close: () => plan.release(),
        });
      }
    }
    peers.push(tfjsPeer(tfWasm.tf, graph, weights, heads, input, h, w));
    if (ortNode && onnx) {
      for (const threads of [1, 0]) {
        const session = await ortNode.InferenceSession.create(onnx, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' as const } : {}),
        });
        peers.push(ortPeer(threads ? 'onnxruntime-node (CPU EP, 1 thread)' : 'onnxruntime-node (CPU EP, default threads)', threads ? 'ort-node-1' : 'ort-node-default', session, ortNode.Tensor, inputNCHW, h, w));
      }
    }
    if (ortWeb && onnx) {
      const session = await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      peers.push(ortPeer('onnxruntime-web (wasm, 1 thread)', 'ort-web', session, ortWeb.Tensor as unknown as OrtModule['Tensor'], inputNCHW, h, w));
    }

    // check: every peer computes our function
    const reference = await peers[0].run();
    const errors = new Map<Peer, number>();
    // the heads' sizes: ceil, since 511 is not a multiple of the stride
    const [oh, ow] = [Math.ceil(h / graph.stride), Math.ceil(w / graph.stride)];
    for (const p of peers) {
      const out = await p.run();
      let worst = 0;
      for (const head of Object.keys(heads)) {
        const ref = p.layout === 'NCHW' ? toNCHW(reference[head], oh, ow, reference[head].length / (oh * ow)) : reference[head];
        worst = Math.max(worst, scaleRelativeError(out[head], ref));
      }
      errors.set(p, worst);
    }

    // the check above ran every peer once: the warm-up round
    const timed = await interleavedRounds(peers, m.rounds, 0);
    const rows = rowsOf(timed, peers, (p) => errors.get(p)!);
    console.log(`\n${m.name} ${h}x${w}, ${m.classes} classes: network forward pass (input in, heads out), median of ${m.rounds} rounds; load average ${loadAverage()}`);
    console.table(table(rows));
    const ratios = goalRatios(timed, peers, initPicks, m.name === 'centernet-resnet18');
    console.table(ratios.map((r) => ({ ratio: r.what, value: `${r.value.toFixed(2)}x`, goal: r.goal })));
    result.models.push({ model: m.name, input: `${h}x${w}`, rounds: m.rounds, rows: rows.map((r, i) => ({ ...r, ours: i < 2 * ours.length })), ratios });
    for (const p of peers) await p.close?.();
  }

  result.decode = await decodeBench();
  for (const { kn } of ours) kn.pool?.close();
  if (options.json) await writeResults(options.json, result, options.force ?? false);
}

/**
 * An 8-bit RGB image whose preprocessing (the model's mean / std, no resize: the same size) gives
 * back the bench input clamped to the pixel range: the int8 rows' calibration image.
 */
function imageOf(input: Float32Array, h: number, w: number, config: ModelConfig) {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round((input[i] * config.std[i % 3] + config.mean[i % 3]) * 255)));
  return { data, width: w, height: h, channels: 3 as const };
}

/** FILE (the tables) and FILE.svg (the chart), atomically. */
async function writeResults(file: string, result: PeersResult, overwrite: boolean): Promise<void> {
  const groups: BarGroup[] = result.models.map((m) => ({ title: `${m.model} ${m.input}: forward pass`, rows: m.rows.map((r) => ({ label: r.runtime, ms: r.p50Ms, ours: r.ours })) }));
  if (result.decode) groups.push({ title: 'CenterNet decode, 80x128x128, k = 100', rows: result.decode.rows.map((r, i) => ({ label: r.runtime, ms: r.p50Ms, ours: i === 0 })) });
  const svgFile = file.replace(/\.json$/, '.svg');
  await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n', { overwrite, label: `bench: --json ${file}` });
  await writeFileAtomic(svgFile, barsSvg(groups, `anchorless and its peers, median latency (${result.machine}, ${result.engine})`), { overwrite, label: `bench: --json ${svgFile}` });
  console.log(`\nwrote ${file} and ${svgFile}`);
}

/** The same graph in TensorFlow.js (inference mode), batch norm folded beforehand as a converted tfjs model has it. */
function tfjsPeer(tf: TF, graph: Graph, weights: Map<string, Float32Array>, heads: Record<string, string>, input: Float32Array, h: number, w: number): Peer {
  const folded: Graph = { ...graph, nodes: graph.nodes.map((n) => (n.op === 'conv' || n.op === 'deconv' ? { ...n, bn: false, bias: true } : n)) };
  const params = new Map<string, Tensor>();
  for (const node of graph.nodes) {
    if (node.op !== 'conv' && node.op !== 'deconv') continue;
    const f = foldBatchNorm(node, (suffix) => weights.get(`${node.name}.${suffix}`)!);
    params.set(`${node.name}.weight`, tf.tensor(f.weight, paramSpecs(folded).find((s) => s.name === `${node.name}.weight`)!.shape));
    params.set(`${node.name}.bias`, tf.tensor1d(f.bias));
  }
  for (const spec of paramSpecs(folded)) if (!params.has(spec.name)) params.set(spec.name, tf.tensor(weights.get(spec.name)!, spec.shape));
  return {
    label: 'tfjs-backend-wasm (XNNPACK, 1 thread)',
    layout: 'NHWC',
    run: () => {
      const x = tf.tensor4d(input, [1, h, w, 3]) as Tensor4D;
      const out = runGraph(tf, folded, params, x, { training: false, stacks: 'last' });
      const result = Object.fromEntries(Object.keys(heads).map((head) => [head, out.get(head)![0].dataSync() as Float32Array]));
      for (const [, ts] of out) tf.dispose(ts);
      x.dispose();
      return result;
    },
    close: () => {
      for (const t of params.values()) t.dispose();
    },
  };
}

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
  outputNames: readonly string[];
}

function ortPeer(label: string, role: Role, session: OrtSession, TensorCtor: OrtModule['Tensor'], input: Float32Array, h: number, w: number): Peer {
  return {
    label,
    role,
    layout: 'NCHW',
    run: async () => {
      const out = await session.run({ image: new TensorCtor('float32', input, [1, 3, h, w]) });
      return Object.fromEntries(session.outputNames.map((name) => [name, out[name].data as Float32Array]));
    },
    close: () => session.release(),
  };
}

// --- decode ----------------------------------------------------------------------------------------

async function decodeBench(): Promise<PeersResult['decode']> {
  const [C, H, W, K] = [80, 128, 128, 100];
  const { hm, wh, reg } = centerNetHeads(C, H, W);
  const nhwc = { heatmap: { data: toNHWC(hm, H, W, C), shape: [1, H, W, C] }, wh: { data: toNHWC(wh, H, W, 2), shape: [1, H, W, 2] }, offset: { data: toNHWC(reg, H, W, 2), shape: [1, H, W, 2] } };
  const ours = () => decodeCenterNet(nhwc, { k: K });
  const official = () => officialCtdetDecode(hm, wh, reg, C, H, W, K);

  // both find the same detections (official: feature-map coordinates; ours: x stride 4)
  const a = ours();
  const b = official();
  let agree = a.length === K;
  for (let i = 0; i < K && agree; i++) {
    const [x1, y1, x2, y2, score, cls] = b[i];
    const d = a[i];
    agree = d.classId === cls && Math.abs(d.score - score) <= 1e-6 && [d.box.xmin - 4 * x1, d.box.ymin - 4 * y1, d.box.xmax - 4 * x2, d.box.ymax - 4 * y2].every((e) => Math.abs(e) <= 1e-3);
  }

  const peers: Peer[] = [
    { label: 'ours: decodeCenterNet (wasm peaks + top-K)', layout: 'NHWC', run: () => (ours(), {}) },
    { label: 'official ctdet_decode, TypeScript port', layout: 'NCHW', run: () => (official(), {}) },
  ];
  const rounds = 11;
  // the agreement check above ran both once: the warm-up round
  const rows = rowsOf(await interleavedRounds(peers, rounds, 0), peers);
  console.log(`\nCenterNet decode, heads ${C}x${H}x${W} (logits), k = ${K}: same ${K} detections: ${agree ? 'yes' : 'NO'}; median of ${rounds} rounds (ours runs after the port has swept the caches: \`npm run bench decode\` times it alone)`);
  console.table(table(rows));
  return { rounds, rows: rows.map(({ runtime, meanMs, p50Ms }) => ({ runtime, meanMs, p50Ms })) };
}

/**
 * src/lib/models/decode.py ctdet_decode (after ctdet's hm.sigmoid_()), batch 1, NCHW: _nms keeps the
 * cells equal to their 3x3 max-pool (-inf padding), _topk takes torch.topk(K) of every class's H*W
 * map, then topk(K) of those C*K, gathers reg and wh at the winners; boxes in feature-map units.
 * topk is a full sort here (larger first, then lower index) as a straightforward port would do it.
 */
function officialCtdetDecode(hmLogits: Float32Array, wh: Float32Array, reg: Float32Array, C: number, H: number, W: number, K: number): number[][] {
  const HW = H * W;
  const heat = new Float32Array(hmLogits.length);
  for (let i = 0; i < heat.length; i++) heat[i] = 1 / (1 + Math.exp(-hmLogits[i]));
  // _nms
  const kept = new Float32Array(heat.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let m = -Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= H) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < W) m = Math.max(m, heat[c * HW + yy * W + xx]);
          }
        }
        const v = heat[c * HW + y * W + x];
        kept[c * HW + y * W + x] = m === v ? v : 0;
      }
    }
  }
  // _topk: per class, then over the C*K candidates
  const topk = (values: Float32Array, offset: number, n: number, k: number): Int32Array => {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((p, q) => values[offset + q] - values[offset + p] || p - q);
    return idx.subarray(0, k);
  };
  const candScores = new Float32Array(C * K);
  const candInds = new Int32Array(C * K);
  for (let c = 0; c < C; c++) {
    const inds = topk(kept, c * HW, HW, K);
    for (let j = 0; j < K; j++) {
      candInds[c * K + j] = inds[j];
      candScores[c * K + j] = kept[c * HW + inds[j]];
    }
  }
  const best = topk(candScores, 0, C * K, K);
  const dets: number[][] = [];
  for (const t of best) {
    const ind = candInds[t];
    const cls = Math.floor(t / K);
    const xs = (ind % W) + reg[ind];
    const ys = Math.floor(ind / W) + reg[HW + ind];
    const bw = wh[ind];
    const bh = wh[HW + ind];
    dets.push([xs - bw / 2, ys - bh / 2, xs + bw / 2, ys + bh / 2, candScores[t], cls]);
  }
  return dets;
}

/** NCHW head logits: a low noisy background and a few hundred Gaussian objects; sizes and offsets. */
function centerNetHeads(C: number, H: number, W: number): { hm: Float32Array; wh: Float32Array; reg: Float32Array } {
  const r = rng(5);
  const prob = new Float32Array(C * H * W);
  for (let i = 0; i < prob.length; i++) prob[i] = 0.002 + 0.02 * r() * r();
  for (let o = 0; o < 300; o++) {
    const cy = r() * H;
    const cx = r() * W;
    const c = Math.floor(r() * C);
    const radius = 1 + r() * 5;
    const peak = 0.1 + 0.85 * r();
    for (let y = Math.max(0, Math.floor(cy - 3 * radius)); y < Math.min(H, cy + 3 * radius); y++) {
      for (let x = Math.max(0, Math.floor(cx - 3 * radius)); x < Math.min(W, cx + 3 * radius); x++) {
        const i = (c * H + y) * W + x;
        prob[i] = Math.max(prob[i], peak * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius * radius)));
      }
    }
  }
  const hm = prob.map((p) => Math.log(p / (1 - p)));
  const wh = Float32Array.from({ length: 2 * H * W }, () => 2 + 30 * r());
  const reg = Float32Array.from({ length: 2 * H * W }, () => r());
  return { hm, wh, reg };
}

// --- helpers ---------------------------------------------------------------------------------------

/** Each peer's latency from the rounds, and its error against ours (NaN: not checked). */
function rowsOf(timed: CaseTimes[], peers: Peer[], err: (p: Peer) => number = () => NaN) {
  const base = timed[0].medianMs;
  return peers.map((p, i) => ({ runtime: p.label, meanMs: timed[i].meanMs, p50Ms: timed[i].medianMs, vsOurs: timed[i].medianMs / base, maxErr: err(p) }));
}

/**
 * The issue's ratios, each from two rows' medians of this run, for the rows this engine has: "faster"
 * ratios are the first row's time over the second's, "of ... latency" the reverse. The goals are set
 * on centernet-resnet18 at 512 (`withGoals`); the other models get the same ratios for reference.
 */
function goalRatios(timed: CaseTimes[], peers: Peer[], initPicks: string, withGoals: boolean): GoalRatio[] {
  const at = (role: Role) => {
    const i = peers.findIndex((p) => p.role === role);
    return i < 0 ? undefined : timed[i].medianMs;
  };
  const out: GoalRatio[] = [];
  const add = (what: string, goal: string, a: Role, b: Role) => {
    const [x, y] = [at(a), at(b)];
    if (x !== undefined && y !== undefined) out.push({ what, value: x / y, goal: withGoals ? goal : '-' });
  };
  add('f32: 2 threads faster than 1 (SIMD128)', '>= 1.75x', 'f32-simd', 'f32-2-threads');
  add('int8 faster than f32, SIMD128 build', '>= 1.5x', 'f32-simd', 'int8-simd');
  add('int8 faster than f32, relaxed build', '>= 1.8x', 'f32-relaxed', 'int8-relaxed');
  add(`f32 on init()'s build (${initPicks}), of onnxruntime-web's latency`, '<= 0.55x', initPicks === 'relaxed' ? 'f32-relaxed' : 'f32-simd', 'ort-web');
  add("int8 on 2 threads, of onnxruntime-node's 1-thread latency", '<= 1.2x (aim)', 'int8-2-threads', 'ort-node-1');
  add("int8 on 2 threads, of onnxruntime-node's default-threads latency", '(reported)', 'int8-2-threads', 'ort-node-default');
  return out;
}

function table(rows: ReturnType<typeof rowsOf>): Row[] {
  return rows.map((r, i) => ({
    peer: r.runtime,
    'p50 ms': r.p50Ms.toFixed(1),
    'mean ms': r.meanMs.toFixed(1),
    'vs ours': i === 0 ? '1.00' : `${r.vsOurs.toFixed(2)}x`,
    'max err': Number.isNaN(r.maxErr) ? '-' : r.maxErr.toExponential(1),
  }));
}

async function optional<T>(pkg: string): Promise<T | undefined> {
  try {
    const mod = (await import(pkg)) as T & { default?: T };
    return (mod as { InferenceSession?: unknown }).InferenceSession ? mod : mod.default;
  } catch (e) {
    console.log(`${pkg}: not available (${(e as Error).message.split('\n')[0]}), skipped`);
    return undefined;
  }
}

function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function toNCHW(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[(k * h + y) * w + i] = x[(y * w + i) * c + k];
  return out;
}

function toNHWC(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) out[(y * w + i) * c + k] = x[(k * h + y) * w + i];
  return out;
}

