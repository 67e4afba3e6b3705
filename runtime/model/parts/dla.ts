// DLA backbone (Deep Layer Aggregation, CenterNet's pose_dla_dcn.py `DLA`), node names as the
// official module paths under DLASeg's `base.`: a 7x7/1 conv-BN-ReLU `base_layer`; `level0` and
// `level1` plain 3x3 conv-BN-ReLU levels (level1 stride 2); `level2`-`level5` aggregation trees,
// each halving the size (the block's 3x3 conv has stride 2, its shortcut is a 2x2 max-pool of the
// input, projected by a 1x1 conv-BN where the width changes). DLA-34: levels [1, 1, 1, 2, 2, 1],
// channels [16, 32, 64, 128, 256, 512], BasicBlocks, no residual root.
// [H, W, 3] -> level0 .. level4 at strides 1, 2, 4, 8, 16 (exposed as `levels`, for DLA-up) and
// the features: level5, [H / 32, W / 32, channels[5]].
// Not built: the ImageNet classifier `fc`, and the own `project` of a tree of depth > 1, which the
// official forward computes and then drops (its subtree projects again).

import type { GraphBuilder } from '../graph.js';
import type { ParamReader } from './params.js';
import type { BackbonePart, Features } from './types.js';

export interface DlaParams {
  /** Convs in level0 and level1, then the depth of the trees level2 .. level5. */
  levels: number[];
  /** Width of base_layer / level0, level1, ..., level5. */
  channels: number[];
}

/** DLA-34 (pose_dla_dcn.py `dla34`). */
export const DLA34_LEVELS = [1, 1, 1, 2, 2, 1];
export const DLA34_CHANNELS = [16, 32, 64, 128, 256, 512];

/** Deepest tree a config may ask for: the published DLAs go to 5 (DLA-169's level4). */
const MAX_TREE_DEPTH = 8;

export const dla: BackbonePart<DlaParams> = {
  description: 'DLA (deep layer aggregation, CenterNet pose_dla_dcn): base layer, 2 conv levels, 4 aggregation trees, stride 32; DLA-34 by default',
  parse(r: ParamReader): DlaParams {
    const levels = r.intArray('levels', { minLength: 6, maxLength: 6, max: MAX_TREE_DEPTH, default: DLA34_LEVELS });
    const channels = r.intArray('channels', { minLength: 6, maxLength: 6, default: DLA34_CHANNELS });
    return { levels, channels };
  },
  build(b: GraphBuilder, input: string, p: DlaParams): Features {
    const c = p.channels;
    let x = b.conv('base.base_layer.0', input, { cout: c[0], kernel: 7, stride: 1, pad: 3 });
    const levels: { node: string; channels: number; stride: number }[] = [];
    x = convLevel(b, 'base.level0', x, c[0], p.levels[0], 1);
    levels.push({ node: x, channels: c[0], stride: 1 });
    x = convLevel(b, 'base.level1', x, c[1], p.levels[1], 2);
    levels.push({ node: x, channels: c[1], stride: 2 });
    for (let i = 2; i < 6; i++) {
      // level2 is not a level root: its root does not see the pooled level input
      x = tree(b, `base.level${i}`, x, { levels: p.levels[i], cout: c[i], stride: 2, levelRoot: i > 2, children: [] });
      levels.push({ node: x, channels: c[i], stride: 2 ** i });
    }
    const last = levels.pop()!;
    return { features: [last.node], channels: last.channels, stride: last.stride, sizeMultiple: last.stride, levels };
  },
};

/**
 * `_make_conv_level`: `convs` x (3x3 conv + BN + ReLU), the first with `stride`. The official
 * Sequential holds conv, BN, ReLU at 3i, 3i + 1, 3i + 2: the conv node is `${name}.${3i}`.
 */
function convLevel(b: GraphBuilder, name: string, x: string, cout: number, convs: number, stride: number): string {
  for (let i = 0; i < convs; i++) x = b.conv(`${name}.${3 * i}`, x, { cout, kernel: 3, stride: i === 0 ? stride : 1 });
  return x;
}

interface TreeOptions {
  levels: number;
  cout: number;
  stride: number;
  /** Level roots also aggregate the (pooled) input of the level. */
  levelRoot: boolean;
  /** Earlier maps the root also aggregates (official `children`, shared down the tree2 chain). */
  children: string[];
}

/**
 * The official `Tree.forward`: bottom = max-pool(x) (stride > 1); a depth-1 tree computes
 * tree1 = block(x, residual = project(bottom) or bottom), tree2 = block(tree1), and
 * root = ReLU(BN(conv1x1(concat[tree2, tree1, ...children]))); a deeper tree recurses into a
 * tree1 subtree (which computes its own residual) and a tree2 subtree whose root also aggregates
 * the children plus tree1's output. Returns the tree's output node.
 */
function tree(b: GraphBuilder, name: string, x: string, o: TreeOptions): string {
  const cin = b.channelsOf(x);
  const children = o.children;
  // a deeper tree that is no level root never reads its pooled input: not built
  const pooled = o.levelRoot || o.levels === 1;
  const bottom = o.stride > 1 && pooled ? b.maxpool(`${name}.downsample`, x, o.stride, o.stride, 0) : x;
  if (o.levelRoot) children.push(bottom);
  if (o.levels === 1) {
    const residual = cin !== o.cout ? b.conv(`${name}.project.0`, bottom, { cout: o.cout, kernel: 1, act: 'none' }) : bottom;
    const x1 = basicBlock(b, `${name}.tree1`, x, residual, o.cout, o.stride);
    const x2 = basicBlock(b, `${name}.tree2`, x1, x1, o.cout, 1);
    const cat = b.concat(`${name}.root.cat`, [x2, x1, ...children]);
    return b.conv(`${name}.root`, cat, { cout: o.cout, kernel: 1 });
  }
  const x1 = tree(b, `${name}.tree1`, x, { levels: o.levels - 1, cout: o.cout, stride: o.stride, levelRoot: false, children: [] });
  children.push(x1);
  return tree(b, `${name}.tree2`, x1, { levels: o.levels - 1, cout: o.cout, stride: 1, levelRoot: false, children });
}

/** The official DLA BasicBlock: ReLU(BN(conv3x3(ReLU(BN(conv3x3/stride(x))))) + residual). */
function basicBlock(b: GraphBuilder, name: string, x: string, residual: string, planes: number, stride: number): string {
  const c1 = b.conv(`${name}.conv1`, x, { cout: planes, kernel: 3, stride });
  const c2 = b.conv(`${name}.conv2`, c1, { cout: planes, kernel: 3, act: 'none' });
  return b.sum(name, c2, residual, 'relu');
}
