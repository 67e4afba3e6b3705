// The network intermediate representation (IR) shared by trainer/ and runtime/: a flat list of
// nodes in execution order, each naming its inputs. Builders in runtime/model/ turn a model config
// into a Graph; the trainer runs it with TensorFlow.js ops, the runtime with the wasm kernels.
// Parameter names and shapes come from here only (paramSpecs), so the two can never drift.
// All feature maps are NHWC; conv weights HWIO [kh, kw, cin/groups, cout]; transposed-conv
// weights [kh, kw, cout, cin] (TensorFlow.js layouts, see ../shared/DESIGN.md).

export type Activation = 'none' | 'relu';
export type CornerDirection = 'top' | 'left' | 'bottom' | 'right';

/** PyTorch BatchNorm2d defaults; the trainer uses momentum, the runtime folds with eps. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

interface NodeBase {
  /** Unique; also the prefix of the node's parameter names. */
  name: string;
  inputs: string[];
}

/** conv (+ bias) (+ batch norm) (+ activation), symmetric zero padding as PyTorch's Conv2d. */
export interface ConvNode extends NodeBase {
  op: 'conv';
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  pad: number;
  dilation: number;
  groups: number;
  bias: boolean;
  bn: boolean;
  act: Activation;
}

/**
 * Transposed conv with PyTorch ConvTranspose2d semantics (+ bias) (+ batch norm) (+ activation).
 * With groups > 1, input channel group g (cin / groups channels) feeds only output group g
 * (DLA-34's up-sampling: groups = cin = cout, depthwise).
 */
export interface DeconvNode extends NodeBase {
  op: 'deconv';
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  pad: number;
  outputPadding: number;
  groups: number;
  bias: boolean;
  bn: boolean;
  act: Activation;
}

/**
 * DCNv2 modulated deformable conv (one offset group) (+ bias) (+ batch norm) (+ activation):
 * om = conv_offset_mask(x), a k x k conv with bias to 3 k k channels: [0, 2kk) the offsets (channel
 * 2t = dy, 2t + 1 = dx of tap t = i k + j), [2kk, 3kk) the mask logits (sigmoid). Tap t of output
 * (oy, ox) samples x bilinearly at (oy s - p + i d + dy, ox s - p + j d + dx), zero outside the
 * image, times the mask; then the weight contraction as an ordinary conv's.
 */
export interface DcnNode extends NodeBase {
  op: 'dcn';
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  pad: number;
  dilation: number;
  bias: boolean;
  bn: boolean;
  act: Activation;
}

/** Stand-alone batch norm (e.g. after a concat in a fire module) (+ activation). */
export interface BatchNormNode extends NodeBase {
  op: 'batchnorm';
  channels: number;
  act: Activation;
}

/** Element-wise sum of two equally shaped inputs (+ activation). */
export interface AddNode extends NodeBase {
  op: 'add';
  act: Activation;
}

/** Channel concatenation of the inputs, in order. */
export interface ConcatNode extends NodeBase {
  op: 'concat';
}

export interface ReluNode extends NodeBase {
  op: 'relu';
}

/** Max pooling, -infinity padding (PyTorch MaxPool2d). */
export interface MaxPoolNode extends NodeBase {
  op: 'maxpool';
  kernel: number;
  stride: number;
  pad: number;
}

/** CornerNet corner pooling in one direction (see DESIGN.md for the directions). */
export interface CornerPoolNode extends NodeBase {
  op: 'cornerpool';
  direction: CornerDirection;
}

/** Nearest-neighbour up-sampling by an integer factor (F.interpolate default mode). */
export interface UpsampleNode extends NodeBase {
  op: 'upsample';
  factor: number;
}

export type GraphNode =
  | ConvNode
  | DeconvNode
  | DcnNode
  | BatchNormNode
  | AddNode
  | ConcatNode
  | ReluNode
  | MaxPoolNode
  | CornerPoolNode
  | UpsampleNode;

export const INPUT = 'input';

export interface Graph {
  /** Channels of the `input` tensor (3 for RGB). */
  inputChannels: number;
  /** Total down-sampling from the input to the heads' feature maps. */
  stride: number;
  /** Input sides must be multiples of this (hourglass depth, strides). */
  sizeMultiple: number;
  nodes: GraphNode[];
  /**
   * Head name -> producing node, one per stack in stack order (CenterNet-ResNet has one stack,
   * Hourglass-104 two). Training supervises every stack; inference uses the last.
   */
  heads: Record<string, string[]>;
}

/** Suffix of a dcn node's offset-and-mask conv parameters (DCNv2's module name). */
export const DCN_OFFSET_MASK = 'conv_offset_mask';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** How the trainer initialises it (trainer/model/params.ts initialValue); the runtime ignores this. */
  init: 'he' | 'head-default' | 'head-small' | 'zeros' | 'ones' | 'heatmap-prior' | 'deconv-bilinear';
  /** Grouped transposed convs ('deconv-bilinear' with groups > 1): the node's groups. */
  groups?: number;
}

/**
 * Every parameter of a graph in a deterministic order: `${node}.weight`, `${node}.bias`, and for
 * batch norm `${node}.bn.{weight,bias,running_mean,running_var}` (PyTorch's names, so weights
 * converted from the official checkpoints map one to one). A stand-alone batchnorm node uses
 * `${node}.{weight,bias,running_mean,running_var}`. A dcn node adds its offset-and-mask conv as
 * `${node}.conv_offset_mask.{weight,bias}`, zero at initialisation (DCNv2's init_offset: the
 * layer starts as a plain conv with mask 0.5).
 */
export function paramSpecs(graph: Graph, heatmapBiasNodes: ReadonlySet<string> = heatmapNodes(graph)): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const bn = (prefix: string, c: number) => {
    specs.push({ name: `${prefix}weight`, shape: [c], init: 'ones' });
    specs.push({ name: `${prefix}bias`, shape: [c], init: 'zeros' });
    specs.push({ name: `${prefix}running_mean`, shape: [c], init: 'zeros' });
    specs.push({ name: `${prefix}running_var`, shape: [c], init: 'ones' });
  };
  const headOutputs = new Set(Object.values(graph.heads).flat());
  for (const node of graph.nodes) {
    if (node.op === 'conv') {
      const init = !headOutputs.has(node.name) ? 'he' : heatmapBiasNodes.has(node.name) ? 'head-default' : 'head-small';
      specs.push({ name: `${node.name}.weight`, shape: [node.kernel, node.kernel, node.cin / node.groups, node.cout], init });
      if (node.bias) {
        specs.push({ name: `${node.name}.bias`, shape: [node.cout], init: heatmapBiasNodes.has(node.name) ? 'heatmap-prior' : 'zeros' });
      }
      if (node.bn) bn(`${node.name}.bn.`, node.cout);
    } else if (node.op === 'deconv') {
      const groups = node.groups > 1 ? { groups: node.groups } : {};
      specs.push({ name: `${node.name}.weight`, shape: [node.kernel, node.kernel, node.cout / node.groups, node.cin], init: 'deconv-bilinear', ...groups });
      if (node.bias) specs.push({ name: `${node.name}.bias`, shape: [node.cout], init: 'zeros' });
      if (node.bn) bn(`${node.name}.bn.`, node.cout);
    } else if (node.op === 'dcn') {
      const taps = node.kernel * node.kernel;
      specs.push({ name: `${node.name}.weight`, shape: [node.kernel, node.kernel, node.cin, node.cout], init: 'he' });
      if (node.bias) specs.push({ name: `${node.name}.bias`, shape: [node.cout], init: 'zeros' });
      specs.push({ name: `${node.name}.${DCN_OFFSET_MASK}.weight`, shape: [node.kernel, node.kernel, node.cin, 3 * taps], init: 'zeros' });
      specs.push({ name: `${node.name}.${DCN_OFFSET_MASK}.bias`, shape: [3 * taps], init: 'zeros' });
      if (node.bn) bn(`${node.name}.bn.`, node.cout);
    } else if (node.op === 'batchnorm') {
      bn(`${node.name}.`, node.channels);
    }
  }
  return specs;
}

/**
 * Heads whose name ends in "heat"/"hm", and CornerNet-Saccade's attention maps `atts.i`, get the
 * focal-loss prior bias -log((1 - 0.1) / 0.1).
 */
export function heatmapNodes(graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const [head, nodes] of Object.entries(graph.heads)) {
    if (/(^|_)(hm|heat)$/.test(head) || /^atts\.\d+$/.test(head)) for (const n of nodes) out.add(n);
  }
  return out;
}

/** The focal-loss prior: sigmoid(bias) = 0.1 at initialisation (CornerNet/CenterNet: -2.19). */
export const HEATMAP_PRIOR_BIAS = -Math.log((1 - 0.1) / 0.1);

export interface NodeShape {
  h: number;
  w: number;
  c: number;
}

/**
 * Output shape of every node for an input of h x w. Sizes are worked out through every op, so any
 * input the graph can really compute is accepted (511x511 for an hourglass: 7x7/2 stem 511 -> 256,
 * then 128): the only size errors are an op whose inputs disagree (an up-sampled map added to its
 * skip) or a map that shrinks to nothing; those name the node and the sizes, and list the nearest
 * sides that fit. Other mistakes (channels, unknown input) throw an Error naming the node too.
 */
export function inferShapes(graph: Graph, h: number, w: number): Map<string, NodeShape> {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new Error(`input size must be positive integers, got ${h}x${w}`);
  }
  try {
    return computeShapes(graph, h, w);
  } catch (e) {
    if (!(e instanceof SizeMismatch)) throw e;
    throw new Error(`${e.message} (input ${h}x${w} does not fit this architecture; ${sizeHint(graph, h, w)})`);
  }
}

/** A size the graph cannot compute: inferShapes adds the hint to it. */
class SizeMismatch extends Error {}

/** Whether a side length fits the graph (height and width go through the same per-axis ops). */
export function fitsSide(graph: Graph, side: number): boolean {
  try {
    computeShapes(graph, side, side);
    return true;
  } catch (e) {
    if (e instanceof SizeMismatch) return false;
    throw e;
  }
}

/** "sides that fit near 130: 125..128, 253..256; preferred: multiples of 128" for each failing side. */
function sizeHint(graph: Graph, h: number, w: number): string {
  const m = graph.sizeMultiple;
  const window = Math.max(2 * m, 64);
  const parts: string[] = [];
  for (const side of h === w ? [h] : [h, w]) {
    if (fitsSide(graph, side)) continue;
    const runs: string[] = [];
    const below = nearestFit(graph, side, -1, window);
    const above = nearestFit(graph, side, +1, window);
    if (below !== undefined) runs.push(run(graph, below, -1, window));
    if (above !== undefined) runs.push(run(graph, above, +1, window));
    parts.push(runs.length > 0 ? `sides that fit near ${side}: ${runs.join(', ')}` : `no side within ${window} of ${side} fits`);
  }
  parts.push(`preferred: multiples of ${m}`);
  return parts.join('; ');
}

function nearestFit(graph: Graph, side: number, dir: -1 | 1, window: number): number | undefined {
  for (let d = 1; d <= window; d++) {
    const s = side + dir * d;
    if (s < 1) return undefined;
    if (fitsSide(graph, s)) return s;
  }
  return undefined;
}

/** The run of fitting sides that starts at `from` and extends away from the failing side, as "a..b". */
function run(graph: Graph, from: number, dir: -1 | 1, window: number): string {
  let end = from;
  for (let d = 1; d <= window && end + dir >= 1 && fitsSide(graph, end + dir); d++) end += dir;
  const [a, b] = dir < 0 ? [end, from] : [from, end];
  return a === b ? String(a) : `${a}..${b}`;
}

function computeShapes(graph: Graph, h: number, w: number): Map<string, NodeShape> {
  const shapes = new Map<string, NodeShape>([[INPUT, { h, w, c: graph.inputChannels }]]);
  const get = (node: GraphNode, name: string): NodeShape => {
    const s = shapes.get(name);
    if (!s) throw new Error(`graph node ${node.name}: input ${name} is not defined before it`);
    return s;
  };
  for (const node of graph.nodes) {
    if (shapes.has(node.name)) throw new Error(`graph node ${node.name}: duplicate name`);
    const ins = node.inputs.map((n) => get(node, n));
    const x = ins[0];
    let out: NodeShape;
    switch (node.op) {
      case 'conv': {
        expectChannels(node, x, node.cin);
        if (node.cin % node.groups !== 0 || node.cout % node.groups !== 0) {
          throw new Error(`graph node ${node.name}: groups ${node.groups} must divide cin ${node.cin} and cout ${node.cout}`);
        }
        const span = node.dilation * (node.kernel - 1) + 1;
        out = {
          h: Math.floor((x.h + 2 * node.pad - span) / node.stride) + 1,
          w: Math.floor((x.w + 2 * node.pad - span) / node.stride) + 1,
          c: node.cout,
        };
        break;
      }
      case 'dcn': {
        // the same output size as a plain conv of that geometry; the offsets only move the taps
        expectChannels(node, x, node.cin);
        const span = node.dilation * (node.kernel - 1) + 1;
        out = {
          h: Math.floor((x.h + 2 * node.pad - span) / node.stride) + 1,
          w: Math.floor((x.w + 2 * node.pad - span) / node.stride) + 1,
          c: node.cout,
        };
        break;
      }
      case 'deconv':
        expectChannels(node, x, node.cin);
        if (node.cin % node.groups !== 0 || node.cout % node.groups !== 0) {
          throw new Error(`graph node ${node.name}: groups ${node.groups} must divide cin ${node.cin} and cout ${node.cout}`);
        }
        out = {
          h: (x.h - 1) * node.stride - 2 * node.pad + node.kernel + node.outputPadding,
          w: (x.w - 1) * node.stride - 2 * node.pad + node.kernel + node.outputPadding,
          c: node.cout,
        };
        break;
      case 'batchnorm':
        expectChannels(node, x, node.channels);
        out = x;
        break;
      case 'add':
        if (ins.length !== 2) throw new Error(`graph node ${node.name}: add takes 2 inputs, got ${ins.length}`);
        if (ins[1].c !== x.c) throw new Error(`graph node ${node.name}: add of ${fmt(x)} and ${fmt(ins[1])}`);
        if (ins[1].h !== x.h || ins[1].w !== x.w) throw new SizeMismatch(`graph node ${node.name}: add of ${fmt(x)} and ${fmt(ins[1])}`);
        out = x;
        break;
      case 'concat':
        for (const s of ins) {
          if (s.h !== x.h || s.w !== x.w) throw new SizeMismatch(`graph node ${node.name}: concat of ${fmt(x)} and ${fmt(s)}`);
        }
        out = { h: x.h, w: x.w, c: ins.reduce((sum, s) => sum + s.c, 0) };
        break;
      case 'relu':
      case 'cornerpool':
        out = x;
        break;
      case 'maxpool':
        out = {
          h: Math.floor((x.h + 2 * node.pad - node.kernel) / node.stride) + 1,
          w: Math.floor((x.w + 2 * node.pad - node.kernel) / node.stride) + 1,
          c: x.c,
        };
        break;
      case 'upsample':
        out = { h: x.h * node.factor, w: x.w * node.factor, c: x.c };
        break;
    }
    if (out.h < 1 || out.w < 1) throw new SizeMismatch(`graph node ${node.name}: input ${h}x${w} is too small (output ${fmt(out)})`);
    shapes.set(node.name, out);
  }
  for (const [head, nodes] of Object.entries(graph.heads)) {
    for (const n of nodes) if (!shapes.has(n)) throw new Error(`graph head ${head}: node ${n} does not exist`);
  }
  return shapes;
}

/** The nodes needed to compute the given outputs, in execution order (drops earlier stacks' heads). */
export function pruneTo(graph: Graph, outputs: string[]): GraphNode[] {
  const needed = new Set(outputs);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (needed.has(node.name)) for (const n of node.inputs) needed.add(n);
  }
  return graph.nodes.filter((n) => needed.has(n.name));
}

function expectChannels(node: GraphNode, x: NodeShape, c: number): void {
  if (x.c !== c) throw new Error(`graph node ${node.name}: expects ${c} input channels, got ${x.c}`);
}

function fmt(s: NodeShape): string {
  return `${s.h}x${s.w}x${s.c}`;
}

/**
 * Appends nodes with PyTorch-like defaults and returns the output name, so architecture code
 * reads like the official model code: `x = g.conv('pre.0', x, { cin: 3, cout: 128, kernel: 7, stride: 2 })`.
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  private readonly channels = new Map<string, number>();

  constructor(readonly inputChannels = 3) {
    this.channels.set(INPUT, inputChannels);
  }

  /** Channels of an existing node's output. */
  channelsOf(name: string): number {
    const c = this.channels.get(name);
    if (c === undefined) throw new Error(`GraphBuilder: unknown node ${name}`);
    return c;
  }

  conv(
    name: string,
    x: string,
    o: { cout: number; kernel: number; stride?: number; pad?: number; dilation?: number; groups?: number; bias?: boolean; bn?: boolean; act?: Activation },
  ): string {
    const bn = o.bn ?? true;
    const dilation = o.dilation ?? 1;
    return this.push({
      op: 'conv',
      name,
      inputs: [x],
      cin: this.channelsOf(x),
      cout: o.cout,
      kernel: o.kernel,
      stride: o.stride ?? 1,
      pad: o.pad ?? (dilation * (o.kernel - 1)) >> 1,
      dilation,
      groups: o.groups ?? 1,
      bias: o.bias ?? !bn,
      bn,
      act: o.act ?? 'relu',
    }, o.cout);
  }

  deconv(
    name: string,
    x: string,
    o: { cout: number; kernel: number; stride: number; pad: number; outputPadding?: number; groups?: number; bias?: boolean; bn?: boolean; act?: Activation },
  ): string {
    const bn = o.bn ?? true;
    return this.push({
      op: 'deconv',
      name,
      inputs: [x],
      cin: this.channelsOf(x),
      cout: o.cout,
      kernel: o.kernel,
      stride: o.stride,
      pad: o.pad,
      outputPadding: o.outputPadding ?? 0,
      groups: o.groups ?? 1,
      bias: o.bias ?? !bn,
      bn,
      act: o.act ?? 'relu',
    }, o.cout);
  }

  /** DCNv2 (see DcnNode); PyTorch-like defaults as conv: pad keeps the size, bias only without BN. */
  dcn(
    name: string,
    x: string,
    o: { cout: number; kernel: number; stride?: number; pad?: number; dilation?: number; bias?: boolean; bn?: boolean; act?: Activation },
  ): string {
    const bn = o.bn ?? true;
    const dilation = o.dilation ?? 1;
    return this.push({
      op: 'dcn',
      name,
      inputs: [x],
      cin: this.channelsOf(x),
      cout: o.cout,
      kernel: o.kernel,
      stride: o.stride ?? 1,
      pad: o.pad ?? (dilation * (o.kernel - 1)) >> 1,
      dilation,
      bias: o.bias ?? !bn,
      bn,
      act: o.act ?? 'relu',
    }, o.cout);
  }

  batchnorm(name: string, x: string, act: Activation = 'none'): string {
    const c = this.channelsOf(x);
    return this.push({ op: 'batchnorm', name, inputs: [x], channels: c, act }, c);
  }

  sum(name: string, a: string, b: string, act: Activation = 'none'): string {
    return this.push({ op: 'add', name, inputs: [a, b], act }, this.channelsOf(a));
  }

  concat(name: string, xs: string[]): string {
    return this.push({ op: 'concat', name, inputs: xs }, xs.reduce((s, x) => s + this.channelsOf(x), 0));
  }

  relu(name: string, x: string): string {
    return this.push({ op: 'relu', name, inputs: [x] }, this.channelsOf(x));
  }

  maxpool(name: string, x: string, kernel: number, stride: number, pad: number): string {
    return this.push({ op: 'maxpool', name, inputs: [x], kernel, stride, pad }, this.channelsOf(x));
  }

  cornerpool(name: string, x: string, direction: CornerDirection): string {
    return this.push({ op: 'cornerpool', name, inputs: [x], direction }, this.channelsOf(x));
  }

  upsample(name: string, x: string, factor = 2): string {
    return this.push({ op: 'upsample', name, inputs: [x], factor }, this.channelsOf(x));
  }

  private push(node: GraphNode, channels: number): string {
    if (this.channels.has(node.name)) throw new Error(`GraphBuilder: duplicate node name ${node.name}`);
    this.nodes.push(node);
    this.channels.set(node.name, channels);
    return node.name;
  }
}
