// CenterNet ctdet with the DLA-34 backbone (xingyizhou/CenterNet
// src/lib/models/networks/pose_dla_dcn.py `DLASeg`, `ctdet_coco_dla_2x.pth`): `base.` (the DLA:
// base_layer, level0 .. level5), `dla_up.ida_*` and `ida_up` (DCN units and depthwise
// up-sampling), heads `hm`, `wh`, `reg` (3x3 conv + ReLU, 1x1 conv: `X.0`, `X.2`). Our node names
// are the official module paths (runtime/model/parts/dla.ts, dla-up.ts); only batch-norm and
// Sequential-index paths differ. Not imported: `base.fc.*` (the ImageNet classifier) and the own
// `project` of a tree of depth > 1, which the official forward computes and drops.
// Official test (opts.py): 512 x 512, K = 100, 3x3 peaks.

import { DLA34_LEVELS } from '../../model/parts/dla.js';
import type { OfficialFamily, ShapeMap } from '../family.js';
import { officialConfig, Shapes } from './shapes.js';

const NAME = 'centernet-dla';
/** Deepest tree the config reader looks for (the published DLAs go to 5). */
const MAX_TREE_DEPTH = 8;
/** The deepest DLA level; DLASeg's last_level (get_pose_net: 5). */
const LAST_LEVEL = 5;
const BN = '(weight|bias|running_mean|running_var)';

export const centernetDla: OfficialFamily = {
  name: NAME,
  published: 'CenterNet ctdet_coco_dla_2x.pth',
  matches: (keys) => keys.has('base.base_layer.0.weight') && keys.has('dla_up.ida_0.proj_1.conv.conv_offset_mask.weight'),
  config(keys: ShapeMap, source: string) {
    const s = new Shapes(keys, `${source}: ${NAME}`);
    const { levels, channels } = readDla(s);
    if (levels.some((d, i) => i >= 2 && d !== DLA34_LEVELS[i])) {
      // rename() knows which trees' `project` to skip from DLA-34's depths (pose_dla_dcn.py builds dla34 only)
      s.fail(`tree depths [${levels.slice(2)}] of base.level2 .. base.level5 are not DLA-34's [${DLA34_LEVELS.slice(2)}], the only ones this importer maps`);
    }
    // DLAUp has one ida per level from first_level to the one before the deepest
    const idas = s.count('dla_up.ida_', '.proj_1.conv.weight');
    if (idas < 1 || idas > LAST_LEVEL - 1) s.fail(`expected 1 to ${LAST_LEVEL - 1} dla_up.ida_* modules, found ${idas}`);
    const heat = 'hm.0.weight';
    return officialConfig(
      {
        name: NAME,
        detector: 'centernet',
        backbone: { type: 'dla', levels, channels },
        neck: { type: 'dla-up', downRatio: 2 ** (LAST_LEVEL - idas) },
        head: { type: 'centernet', headChannels: s.convOut(heat), headKernel: s.convKernel(heat) },
        numClasses: s.convOut('hm.2.weight'),
        // opts.py: input_res 512 for ctdet; K 100; _nms uses a 3x3 max-pool
        inputSize: [512, 512],
        decode: { k: 100, kernel: 3 },
      },
      source,
    );
  },
  rename: (key: string) => renameDla(key, DLA34_LEVELS),
};

/** DLA levels and widths from the shapes: conv counts of level0/1, tree depths of level2 .. 5. */
function readDla(s: Shapes): { levels: number[]; channels: number[] } {
  const levels: number[] = [];
  const channels: number[] = [];
  for (const level of [0, 1]) {
    const prefix = `base.level${level}`;
    let convs = 0;
    while (s.has(`${prefix}.${3 * convs}.weight`)) convs++;
    if (convs === 0) s.fail(`key ${prefix}.0.weight is missing (every checkpoint of this family has it)`);
    channels.push(s.convOut(`${prefix}.0.weight`));
    levels.push(convs);
  }
  const stem = s.convOut('base.base_layer.0.weight');
  if (stem !== channels[0]) s.fail(`base.base_layer.0.weight has ${stem} outputs but base.level0 has ${channels[0]}: a DLA keeps the stem's width in level0`);
  for (let level = 2; level <= LAST_LEVEL; level++) {
    // a depth-d tree nests its first block d - 1 subtrees deep: base.levelN(.tree1)^(d-1).tree1.conv1
    let path = `base.level${level}`;
    let depth = 1;
    while (!s.has(`${path}.tree1.conv1.weight`)) {
      if (depth === MAX_TREE_DEPTH) s.fail(`no key base.level${level}(.tree1)*.tree1.conv1.weight: the tree's first block is missing`);
      path += '.tree1';
      depth++;
    }
    channels.push(s.convOut(`${path}.tree1.conv1.weight`));
    levels.push(depth);
  }
  return { levels, channels };
}

/**
 * The anchorless name of an official DLASeg key (null: not imported; undefined: not a key of this
 * family), for a DLA whose trees level2 .. level5 have the given depths.
 */
export function renameDla(key: string, levels: readonly number[]): string | null | undefined {
  let m: RegExpExecArray | null;
  if (/^base\.fc\.(weight|bias)$/.test(key)) return null;
  // nn.Sequential(conv, BN, ReLU) x convs: conv at 3i, its BN at 3i + 1
  if ((m = /^base\.(base_layer|level[01])\.(\d+)\.(.+)$/.exec(key))) {
    const i = Number(m[2]);
    if (i % 3 === 0 && m[3] === 'weight') return key;
    if (i % 3 === 1 && new RegExp(`^${BN}$`).test(m[3])) return `base.${m[1]}.${i - 1}.bn.${m[3]}`;
    return undefined;
  }
  if ((m = /^base\.level([2-5])((?:\.tree[12])*)\.(.+)$/.exec(key))) {
    const level = Number(m[1]);
    const path = `base.level${level}${m[2]}`;
    const rest = m[3];
    // a subtree is one level shallower than its parent; a block sits below a depth-1 tree
    const depth = levels[level] - (m[2].length === 0 ? 0 : m[2].split('.').length - 1);
    if (rest.startsWith('project.')) {
      const param = sequentialConvBn(rest.slice('project.'.length));
      if (param === undefined) return undefined;
      return depth > 1 ? null : `${path}.project.0.${param}`;
    }
    if (rest === 'root.conv.weight') return `${path}.root.weight`;
    if ((m = new RegExp(`^root\\.bn\\.${BN}$`).exec(rest))) return `${path}.root.bn.${m[1]}`;
    // BasicBlock: conv1/bn1, conv2/bn2 (the path ends in the block's own tree1 / tree2)
    if (rest === 'conv1.weight' || rest === 'conv2.weight') return `${path}.${rest}`;
    if ((m = new RegExp(`^bn([12])\\.${BN}$`).exec(rest))) return `${path}.conv${m[1]}.bn.${m[2]}`;
    return undefined;
  }
  // DeformConv: `conv` (DCN with its conv_offset_mask), `actf.0` its BN -> one dcn node
  if ((m = /^(dla_up\.ida_\d+|ida_up)\.((?:proj|node)_\d+)\.(.+)$/.exec(key))) {
    const node = `${m[1]}.${m[2]}.conv`;
    const rest = m[3];
    if (/^conv\.(weight|bias|conv_offset_mask\.weight|conv_offset_mask\.bias)$/.test(rest)) return `${m[1]}.${m[2]}.${rest}`;
    const bn = new RegExp(`^actf\\.0\\.${BN}$`).exec(rest);
    return bn ? `${node}.bn.${bn[1]}` : undefined;
  }
  if (/^(dla_up\.ida_\d+|ida_up)\.up_\d+\.weight$/.test(key)) return key;
  // heads: nn.Sequential(conv3x3, ReLU, conv1x1) -> centernet-head nodes `${head}.0.0`, `${head}.0.1`
  if ((m = /^(hm|wh|reg)\.([02])\.(weight|bias)$/.exec(key))) return `${m[1]}.0.${m[2] === '0' ? 0 : 1}.${m[3]}`;
  return undefined;
}

/** nn.Sequential(conv1x1, BN): `0.weight` -> `weight`, `1.X` -> `bn.X`. */
function sequentialConvBn(path: string): string | undefined {
  if (path === '0.weight') return 'weight';
  const m = new RegExp(`^1\\.${BN}$`).exec(path);
  return m ? `bn.${m[1]}` : undefined;
}
