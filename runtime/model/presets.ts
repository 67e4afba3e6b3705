// Named model configs: the official architectures (CenterNet ResNet-18 / ResNet-DCN-18 and -101 /
// Hourglass-104, CornerNet Hourglass-104 / Squeeze) and two tiny ones that train on a CPU. preset(name, opts) returns a
// validated config; any input size the architecture's strides allow can be asked for.

import { validateConfig, type DecodeConfig, type ModelConfig, type PartConfig } from './config.js';
import { MODEL_FORMAT, type Detector } from './names.js';

/**
 * COCO normalisation constants of the official code (core/dbs/coco.py), converted to RGB order:
 * the official arrays [0.40789654, 0.44719302, 0.47026115] / [0.28863828, 0.27408164, 0.27809835]
 * apply to images read by OpenCV, i.e. BGR (their first entry is blue, cf. ImageNet's blue mean
 * 0.406), so they are reversed here. Our configs are RGB throughout.
 */
export const COCO_MEAN_RGB: [number, number, number] = [0.47026115, 0.44719302, 0.40789654];
export const COCO_STD_RGB: [number, number, number] = [0.27809835, 0.27408164, 0.28863828];

/** The 80 COCO categories in the usual contiguous order (class id = index). */
export const COCO_LABELS: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

interface PresetDef {
  description: string;
  detector: Detector;
  backbone: PartConfig;
  neck?: PartConfig;
  head: PartConfig;
  inputSize: [number, number];
  decode: DecodeConfig;
}

const HOURGLASS_104: PartConfig = {
  type: 'hourglass',
  stacks: 2,
  stemChannels: 128,
  stemResiduals: 1,
  channels: [256, 256, 384, 384, 384, 512],
  modules: [2, 2, 2, 2, 2, 4],
  cnvChannels: 256,
};

const CORNERNET_DECODE: DecodeConfig = { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000 };
const CENTERNET_DECODE: DecodeConfig = { k: 100, kernel: 3 };

const PRESETS: Record<string, PresetDef> = {
  // Up-sampling widths 256, 128, 64 as the ResDCN-18 of pytorch_simple_CenterNet_45 (the official
  // msra_resnet uses 256, 256, 256), but plain deconv-BN-ReLU stages: no deformable 3x3 conv.
  'centernet-resnet18': {
    description: 'CenterNet, ResNet-18 + three 4x4 deconv-BN-ReLU up-sampling stages (256, 128, 64), stride 4',
    detector: 'centernet',
    backbone: { type: 'resnet', block: 'basic', layers: [2, 2, 2, 2], channels: [64, 128, 256, 512], stemChannels: 64 },
    neck: { type: 'deconv', channels: [256, 128, 64], kernel: 4 },
    head: { type: 'centernet', headChannels: 64, headKernel: 3 },
    inputSize: [512, 512],
    decode: CENTERNET_DECODE,
  },
  // The official CenterNet ResNet-DCN models (resnet_dcn.py, ctdet_coco_resdcn18/101.pth): the
  // neck's stages are DCNv2 3x3 + BN + ReLU then a 4x4 transposed conv + BN + ReLU, widths 256,
  // 128, 64; head_conv 64.
  'centernet-resdcn18': {
    description: 'CenterNet, ResNet-18 + three DCNv2-3x3 / 4x4-deconv up-sampling stages (256, 128, 64), stride 4 (official ctdet resdcn18)',
    detector: 'centernet',
    backbone: { type: 'resnet', block: 'basic', layers: [2, 2, 2, 2], channels: [64, 128, 256, 512], stemChannels: 64 },
    neck: { type: 'dcn-deconv', channels: [256, 128, 64] },
    head: { type: 'centernet', headChannels: 64, headKernel: 3 },
    inputSize: [512, 512],
    decode: CENTERNET_DECODE,
  },
  'centernet-resdcn101': {
    description: 'CenterNet, ResNet-101 (bottleneck) + three DCNv2-3x3 / 4x4-deconv up-sampling stages (256, 128, 64), stride 4 (official ctdet resdcn101)',
    detector: 'centernet',
    backbone: { type: 'resnet', block: 'bottleneck', layers: [3, 4, 23, 3], channels: [64, 128, 256, 512], stemChannels: 64 },
    neck: { type: 'dcn-deconv', channels: [256, 128, 64] },
    head: { type: 'centernet', headChannels: 64, headKernel: 3 },
    inputSize: [512, 512],
    decode: CENTERNET_DECODE,
  },
  // The official CenterNet DLA-34 model (pose_dla_dcn.py DLASeg, down_ratio 4, head_conv 256,
  // ctdet_coco_dla_2x.pth): DLA-34 backbone, DLA-up neck with DCNv2 aggregation nodes.
  'centernet-dla34': {
    description: 'CenterNet, DLA-34 + DLA-up (DCNv2 aggregation, depthwise transposed-conv up-sampling), head conv 256, stride 4 (official ctdet dla_2x)',
    detector: 'centernet',
    backbone: { type: 'dla', levels: [1, 1, 1, 2, 2, 1], channels: [16, 32, 64, 128, 256, 512] },
    neck: { type: 'dla-up', downRatio: 4 },
    head: { type: 'centernet', headChannels: 256, headKernel: 3 },
    inputSize: [512, 512],
    decode: CENTERNET_DECODE,
  },
  'centernet-tiny': {
    // Three ResNet stages (stride 16) and two up-sampling stages: at its small default input the
    // bottleneck map stays 8x8, which localised far better in training than four stages' 4x4
    // (synthetic shapes, 128 px, 375 steps: val AP50 0.058 against 0.003). Lateral skips from the
    // stride-8 and stride-4 stages into the up-sampling (not in the official ResNet models) lifted
    // held-out AP50 after 800 steps of batch 8 from 0.328 to 0.428.
    description: 'CenterNet, narrow 3-stage ResNet (32-64-128) + deconv (64, 32) with lateral skips, stride 4, 128x128 input: trains on a CPU',
    detector: 'centernet',
    backbone: { type: 'resnet', block: 'basic', layers: [2, 2, 2], channels: [32, 64, 128], stemChannels: 16 },
    neck: { type: 'deconv', channels: [64, 32], kernel: 4, skips: true },
    head: { type: 'centernet', headChannels: 32, headKernel: 3 },
    inputSize: [128, 128],
    decode: CENTERNET_DECODE,
  },
  'centernet-hourglass104': {
    description: 'CenterNet, 2-stack Hourglass-104, hm / wh / reg heads (head conv 256) per stack, stride 4',
    detector: 'centernet',
    backbone: HOURGLASS_104,
    head: { type: 'centernet', headChannels: 256, headKernel: 3 },
    inputSize: [512, 512],
    decode: CENTERNET_DECODE,
  },
  'cornernet-hourglass104': {
    description: 'CornerNet, 2-stack Hourglass-104, corner pooling modules and heads per stack, stride 4',
    detector: 'cornernet',
    backbone: HOURGLASS_104,
    head: { type: 'cornernet', poolChannels: 128, headChannels: 256, headKernel: 3 },
    inputSize: [512, 512],
    decode: CORNERNET_DECODE,
  },
  'cornernet-squeeze': {
    description: 'CornerNet-Squeeze: fire-module hourglass (order 4, 2 stacks), 1x1 head convs, stride 8',
    detector: 'cornernet',
    backbone: {
      type: 'squeeze-hourglass',
      stacks: 2,
      stemChannels: 128,
      stemResiduals: 2,
      channels: [256, 256, 384, 384, 512],
      modules: [2, 2, 2, 2, 4],
      cnvChannels: 256,
    },
    // As the official CornerNet_Squeeze.py: the corner modules keep their 3x3 convs, only the
    // heads' first conv becomes 1x1.
    head: { type: 'cornernet', poolChannels: 128, headChannels: 256, headKernel: 1 },
    inputSize: [512, 512],
    // The official CornerNet-Squeeze test settings: top_k 20, num_dets 100, ae_threshold 0.5.
    decode: { k: 20, kernel: 3, aeThreshold: 0.5, numDets: 100 },
  },
  // core/models/CornerNet_Saccade.py: 3 stacks of an order-3 hourglass (dims 256, 384, 384, 512,
  // one residual per level), the CornerNet heads and an attention head per level; detect() runs
  // the saccade test procedure (runtime/saccade/) instead of one pass over the whole image.
  'cornernet-saccade': {
    description: 'CornerNet-Saccade: 3-stack order-3 hourglass, corner heads + attention maps (strides 16, 8, 4), crops around attended locations, stride 4',
    detector: 'cornernet',
    backbone: {
      type: 'hourglass',
      stacks: 3,
      stemChannels: 128,
      stemResiduals: 1,
      channels: [256, 384, 384, 512],
      modules: [1, 1, 1, 1],
      cnvChannels: 256,
    },
    head: { type: 'cornernet-saccade', poolChannels: 128, headChannels: 256, headKernel: 3, attChannels: 256 },
    // The official input_size: 255 x 255 (output 64 x 64), the crops' size.
    inputSize: [255, 255],
    // The official test settings (configs/CornerNet_Saccade.json): top_k 12, num_dets 12, ae_threshold 0.3.
    decode: { k: 12, kernel: 3, aeThreshold: 0.3, numDets: 12 },
  },
  'cornernet-tiny': {
    description: 'CornerNet, one small hourglass (order 3, 32-64 channels, 1 block per level), stride 4: trains on a CPU',
    detector: 'cornernet',
    backbone: {
      type: 'hourglass',
      stacks: 1,
      stemChannels: 16,
      stemResiduals: 1,
      channels: [32, 32, 48, 64],
      modules: [1, 1, 1, 1],
      cnvChannels: 32,
    },
    head: { type: 'cornernet', poolChannels: 16, headChannels: 32, headKernel: 3 },
    // 128 as centernet-tiny: the synthetic training images' size, and 4x less work than 256
    inputSize: [128, 128],
    // Pairs corners whose embeddings differ by up to 1 (the official DETECTION default; CornerNet's
    // test config uses 0.5): a CPU-trained tiny model's 1-d embeddings are less tight. Held out
    // after 3800 steps: AP50 0.726 at 1, 0.681 at 0.5, 0.584 at 0.3, 0.707 at 2.
    // Scores a pair by the geometric mean of its corners (the official mean lets one strong corner
    // carry a weak partner above true pairs): 2,736 steps on synth --seed 7's 2,000 images, its
    // 300 held-out ones: AP / AP50 0.610 / 0.766 with the mean, 0.635 / 0.806 geometric.
    decode: { ...CORNERNET_DECODE, aeThreshold: 1, pairScore: 'geometric' },
  },
};

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export interface PresetOptions {
  /** Default: labels.length, or 80 (COCO). */
  numClasses?: number;
  /** Default: the COCO labels for 80 classes, else `class0`, `class1`, ... */
  labels?: string[];
  /** [height, width]; default per preset (512 x 512, tiny ones 256 x 256). */
  inputSize?: [number, number];
  /** RGB, on 0..1 pixel values; default COCO's. */
  mean?: [number, number, number];
  std?: [number, number, number];
}

/** One-line descriptions of the presets, for CLI help. */
export function describePresets(): Record<string, string> {
  return Object.fromEntries(Object.entries(PRESETS).map(([k, v]) => [k, v.description]));
}

/** The validated config of a named preset. */
export function preset(name: string, opts: PresetOptions = {}): ModelConfig {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new Error(`preset: unknown model ${JSON.stringify(name)} (known: ${PRESET_NAMES.join(', ')})`);
  }
  const p = PRESETS[name];
  const numClasses = opts.numClasses ?? opts.labels?.length ?? COCO_LABELS.length;
  if (opts.labels && opts.labels.length !== numClasses) {
    throw new Error(`preset ${name}: ${opts.labels.length} labels given for numClasses ${numClasses}`);
  }
  const labels = opts.labels ?? (numClasses === COCO_LABELS.length ? [...COCO_LABELS] : Array.from({ length: numClasses }, (_, i) => `class${i}`));
  const raw = {
    format: MODEL_FORMAT,
    name,
    detector: p.detector,
    backbone: structuredClone(p.backbone),
    ...(p.neck ? { neck: structuredClone(p.neck) } : {}),
    head: structuredClone(p.head),
    numClasses,
    labels,
    inputSize: opts.inputSize ?? p.inputSize,
    mean: opts.mean ?? COCO_MEAN_RGB,
    std: opts.std ?? COCO_STD_RGB,
    decode: { ...p.decode },
  };
  return validateConfig(raw, `preset ${name}`);
}
