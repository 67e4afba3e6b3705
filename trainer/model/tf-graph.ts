// Runs a network Graph (runtime/model/graph.ts) with TensorFlow.js ops: input [n, h, w, c] ->
// head name -> one output per stack. Training mode normalises with batch moments and updates the
// running statistics as PyTorch's BatchNorm2d does; inference mode folds batch norm into the conv
// before it exactly as the runtime does, so both compute the same function.

import type { Tensor, Tensor1D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { BN_EPS, BN_MOMENTUM, DCN_OFFSET_MASK, inferShapes, paramSpecs, pruneTo, type Graph, type GraphNode } from '../../runtime/model/graph.js';
import type { TF } from '../backend.js';
import { cornerPool } from '../layers/corner-pool.js';
import { deformConv2dTorch } from '../layers/deform-conv.js';
import { batchNormTrain, conv2dTorch, deconvTorch, maxPoolTorch, upsampleNearest, type BatchMoments } from './torch-ops.js';

export interface RunOptions {
  /** true: batch-norm with batch moments (and update the running stats); false: running stats. */
  training: boolean;
  /**
   * Training mode only: move running_mean / running_var towards the batch moments, as PyTorch's
   * BatchNorm2d.train() does (momentum BN_MOMENTUM; running_var gets the unbiased variance). They
   * must then be tf.Variables. Default true.
   */
  updateStats?: boolean;
  /** 'all' (default): every stack's heads, as training supervises them; 'last': what inference uses. */
  stacks?: 'all' | 'last';
}

/** Head name -> output [n, h / stride, w / stride, channels] per stack (one stack with 'last'). */
export type GraphOutputs = Map<string, Tensor4D[]>;

export function runGraph(tf: TF, graph: Graph, params: ReadonlyMap<string, Tensor>, input: Tensor4D, opts: RunOptions): GraphOutputs {
  if (input.rank !== 4 || input.shape[3] !== graph.inputChannels) {
    throw new Error(`runGraph: input must be [n, h, w, ${graph.inputChannels}], got [${input.shape}]`);
  }
  inferShapes(graph, input.shape[1], input.shape[2]);
  checkParams(graph, params);
  const lastOnly = opts.stacks === 'last';
  const heads = Object.entries(graph.heads).map(([name, nodes]) => [name, lastOnly ? nodes.slice(-1) : nodes] as const);
  const nodes = pruneTo(graph, heads.flatMap(([, n]) => n));
  const ctx: Ctx = { tf, params, training: opts.training, updateStats: opts.updateStats ?? true };

  // Inference frees each map after its last reader; training keeps them (the gradient tape holds
  // what it needs anyway).
  const keep = new Set(heads.flatMap(([, n]) => n));
  const lastUse = new Map<string, number>();
  nodes.forEach((node, i) => node.inputs.forEach((n) => lastUse.set(n, i)));

  const values = new Map<string, Tensor4D>([['input', input]]);
  nodes.forEach((node, i) => {
    const ins = node.inputs.map((n) => values.get(n)!);
    values.set(node.name, runNode(ctx, node, ins));
    if (opts.training) return;
    for (const n of node.inputs) {
      if (lastUse.get(n) === i && n !== 'input' && !keep.has(n)) {
        values.get(n)!.dispose();
        values.delete(n);
      }
    }
  });
  return new Map(heads.map(([name, n]) => [name, n.map((node) => values.get(node)!)]));
}

interface Ctx {
  tf: TF;
  params: ReadonlyMap<string, Tensor>;
  training: boolean;
  updateStats: boolean;
}

function runNode(ctx: Ctx, node: GraphNode, ins: Tensor4D[]): Tensor4D {
  const { tf } = ctx;
  const x = ins[0];
  return tf.tidy((): Tensor4D => {
    switch (node.op) {
      case 'conv':
      case 'deconv': {
        let w = param(ctx, `${node.name}.weight`) as Tensor4D;
        let b = node.bias ? (param(ctx, `${node.name}.bias`) as Tensor1D) : undefined;
        const bn = `${node.name}.bn.`;
        if (node.bn && !ctx.training) ({ w, b } = foldBatchNorm(ctx, bn, w, b, node.op === 'conv' ? 3 : 2, node.op === 'deconv' ? node.groups : 1));
        let y = node.op === 'conv' ? conv2dTorch(tf, x, w, node) : deconvTorch(tf, x, w, node);
        if (b) y = tf.add(y, b) as Tensor4D;
        if (node.bn && ctx.training) y = trainBatchNorm(ctx, bn, y);
        return node.act === 'relu' ? tf.relu(y) : y;
      }
      case 'dcn': {
        const taps = node.kernel * node.kernel;
        const om = tf.add(
          conv2dTorch(tf, x, param(ctx, `${node.name}.${DCN_OFFSET_MASK}.weight`) as Tensor4D, { ...node, groups: 1 }),
          param(ctx, `${node.name}.${DCN_OFFSET_MASK}.bias`),
        ) as Tensor4D;
        const [n, oh, ow] = om.shape;
        const offset = tf.slice(om, [0, 0, 0, 0], [n, oh, ow, 2 * taps]);
        const mask = tf.sigmoid(tf.slice(om, [0, 0, 0, 2 * taps], [n, oh, ow, taps]));
        let w = param(ctx, `${node.name}.weight`) as Tensor4D;
        let b = node.bias ? (param(ctx, `${node.name}.bias`) as Tensor1D) : undefined;
        const bn = `${node.name}.bn.`;
        if (node.bn && !ctx.training) ({ w, b } = foldBatchNorm(ctx, bn, w, b, 3));
        let y = deformConv2dTorch(tf, x, offset, mask, w, node);
        if (b) y = tf.add(y, b) as Tensor4D;
        if (node.bn && ctx.training) y = trainBatchNorm(ctx, bn, y);
        return node.act === 'relu' ? tf.relu(y) : y;
      }
      case 'batchnorm': {
        const prefix = `${node.name}.`;
        let y: Tensor4D;
        if (ctx.training) y = trainBatchNorm(ctx, prefix, x);
        else {
          const { scale, shift } = bnAffine(ctx, prefix);
          y = tf.add(tf.mul(x, scale), shift) as Tensor4D;
        }
        return node.act === 'relu' ? tf.relu(y) : y;
      }
      case 'add': {
        const y = tf.add(x, ins[1]) as Tensor4D;
        return node.act === 'relu' ? tf.relu(y) : y;
      }
      case 'concat':
        return ins.length === 1 ? tf.clone(x) : (tf.concat(ins, 3) as Tensor4D);
      case 'relu':
        return tf.relu(x);
      case 'maxpool':
        return maxPoolTorch(tf, x, node.kernel, node.stride, node.pad);
      case 'cornerpool':
        return cornerPool(tf, x, node.direction);
      case 'upsample':
        return upsampleNearest(tf, x, node.factor);
    }
  });
}

function param(ctx: Ctx, name: string): Tensor {
  return ctx.params.get(name)!;
}

/** Inference batch norm as y = x * scale + shift: scale = gamma / sqrt(var + eps), shift = beta - mean * scale. */
function bnAffine(ctx: Ctx, prefix: string): { scale: Tensor1D; shift: Tensor1D } {
  const { tf } = ctx;
  const scale = tf.div(param(ctx, `${prefix}weight`), tf.sqrt(tf.add(param(ctx, `${prefix}running_var`), BN_EPS))) as Tensor1D;
  const shift = tf.sub(param(ctx, `${prefix}bias`), tf.mul(param(ctx, `${prefix}running_mean`), scale)) as Tensor1D;
  return { scale, shift };
}

/**
 * The runtime's folding (runtime/engine/fold.ts), same formula and order of operations:
 * scale = gamma / sqrt(var + eps), shift = beta - mean * scale; w' = w * scale along the
 * output-channel axis, b' = b * scale + shift (b = 0 without a bias).
 */
function foldBatchNorm(ctx: Ctx, prefix: string, w: Tensor4D, b: Tensor1D | undefined, outAxis: 2 | 3, groups = 1): { w: Tensor4D; b: Tensor1D } {
  const { tf } = ctx;
  const { scale, shift } = bnAffine(ctx, prefix);
  let wScale: Tensor;
  if (groups > 1) {
    // grouped deconv [kh, kw, cout / groups, cin]: element (o, ci) feeds output (ci's group) * cout / groups + o
    const [, , coutG, cin] = w.shape;
    const perGroup = tf.transpose(tf.reshape(scale, [groups, coutG])); // [coutG, groups]
    wScale = tf.reshape(tf.broadcastTo(tf.reshape(perGroup, [coutG, groups, 1]), [coutG, groups, cin / groups]), [1, 1, coutG, cin]);
  } else {
    const shape = [1, 1, 1, 1];
    shape[outAxis] = scale.shape[0];
    wScale = tf.reshape(scale, shape);
  }
  const wf = tf.mul(w, wScale) as Tensor4D;
  const bf = (b ? tf.add(tf.mul(b, scale), shift) : shift) as Tensor1D;
  return { w: wf, b: bf };
}

function trainBatchNorm(ctx: Ctx, prefix: string, x: Tensor4D): Tensor4D {
  const onMoments = ctx.updateStats ? (m: BatchMoments) => updateRunningStats(ctx, prefix, m) : undefined;
  return batchNormTrain(ctx.tf, x, param(ctx, `${prefix}weight`) as Tensor1D, param(ctx, `${prefix}bias`) as Tensor1D, BN_EPS, onMoments);
}

/** PyTorch: running = (1 - momentum) running + momentum batch, the variance unbiased (n / (n - 1)). */
function updateRunningStats(ctx: Ctx, prefix: string, m: BatchMoments): void {
  const { tf } = ctx;
  const mean = ctx.params.get(`${prefix}running_mean`) as Variable;
  const variance = ctx.params.get(`${prefix}running_var`) as Variable;
  if (typeof mean.assign !== 'function' || typeof variance.assign !== 'function') {
    throw new Error(`runGraph: ${prefix}running_mean / running_var must be tf.Variables to update them in training mode (or pass updateStats: false)`);
  }
  tf.tidy(() => {
    const unbiased = tf.mul(m.variance, m.count / (m.count - 1));
    mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM)));
    variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  });
}

/** Every parameter the graph names must be present with its paramSpecs shape. */
function checkParams(graph: Graph, params: ReadonlyMap<string, Tensor>): void {
  for (const spec of paramSpecs(graph)) {
    const t = params.get(spec.name);
    if (!t) throw new Error(`runGraph: parameter ${spec.name} is missing`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`runGraph: parameter ${spec.name} has shape [${t.shape}], the graph needs [${spec.shape}]`);
    }
  }
}
