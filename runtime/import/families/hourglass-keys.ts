// The official hourglass models' module paths (CornerNet's kp.py, CornerNet-Lite's
// py_utils/modules.py, CenterNet's large_hourglass.py: one code lineage) and how they map onto
// the node names of runtime/model/parts/hourglass.ts, blocks.ts and cornernet-head.ts; and the
// hourglass widths read from a state dict's shapes. Every rename returns undefined for a path it
// does not know, which the importer reports as an unmatched key.

import type { DecodeConfig, PartConfig } from '../../model/config.js';
import { CORNERNET_LITE_OUTPUT_NAMES } from '../../model/names.js';
import type { OfficialFamily, ShapeMap } from '../family.js';
import { officialConfig, Shapes } from './shapes.js';

/** Where an hourglass trunk's modules sit in a state dict. */
export interface TrunkLayout {
  /** '' (CornerNet, CenterNet: `pre`, `kps`, `cnvs`, ... at the top) or 'hg.' (CornerNet-Lite). */
  root: '' | 'hg.';
  /** The ModuleList of hourglasses: `kps` (CornerNet, CenterNet) or `hgs` (CornerNet-Lite). */
  hourglasses: 'kps' | 'hgs';
  /** Blocks inside the hourglasses: `residual`, or CornerNet-Squeeze's `fire` modules. */
  block: 'residual' | 'fire';
}

const BN = /^(weight|bias|running_mean|running_var)$/;

/** `${node}.${param}`, or undefined when the parameter path was not recognised. */
function at(node: string, param: string | undefined): string | undefined {
  return param === undefined ? undefined : `${node}.${param}`;
}

/** `bnName.X` (X a batch-norm parameter) -> `target.X`. */
function bnParam(path: string, bnName: string, target: string): string | undefined {
  if (!path.startsWith(`${bnName}.`)) return undefined;
  const p = path.slice(bnName.length + 1);
  return BN.test(p) ? `${target}${p}` : undefined;
}

/** `convolution(k, in, out)` (utils.py): `conv.{weight,bias}`, `bn.*` -> one conv node. */
export function convolutionParam(path: string): string | undefined {
  if (path === 'conv.weight' || path === 'conv.bias') return path.slice('conv.'.length);
  return bnParam(path, 'bn', 'bn.');
}

/** nn.Sequential(conv, bn): `0.weight`, `1.*` -> one conv node (inters_, cnvs_, a residual's skip). */
function convBnParam(path: string): string | undefined {
  if (path === '0.weight') return 'weight';
  return bnParam(path, '1', 'bn.');
}

/** `residual(in, out, stride)`: conv1/bn1, conv2/bn2, skip (conv + BN) -> blocks.ts residual(). */
export function residualParam(path: string): string | undefined {
  if (path === 'conv1.weight' || path === 'conv2.weight') return path;
  if (path.startsWith('skip.')) return at('skip', convBnParam(path.slice('skip.'.length)));
  return bnParam(path, 'bn1', 'conv1.bn.') ?? bnParam(path, 'bn2', 'conv2.bn.');
}

/** CornerNet-Squeeze's `fire_module`: conv1/bn1, conv_1x1, conv_3x3, bn2 (after the concat) -> blocks.ts fire(). */
function fireParam(path: string): string | undefined {
  if (path === 'conv1.weight' || path === 'conv_1x1.weight' || path === 'conv_3x3.weight') return path;
  return bnParam(path, 'bn1', 'conv1.bn.') ?? bnParam(path, 'bn2', 'bn2.');
}

/** The anchorless name of a trunk key (stem, hourglasses, cnvs, inter-stack modules); undefined if not one. */
export function renameTrunk(key: string, layout: TrunkLayout): string | undefined {
  if (!key.startsWith(layout.root)) return undefined;
  const k = key.slice(layout.root.length);
  let m: RegExpExecArray | null;
  if ((m = /^pre\.0\.(.+)$/.exec(k))) return at('hg.pre.0', convolutionParam(m[1]));
  if ((m = /^pre\.(\d+)\.(.+)$/.exec(k))) return at(`hg.pre.${m[1]}`, residualParam(m[2]));
  if (k.startsWith(`${layout.hourglasses}.`)) {
    const h = k.slice(layout.hourglasses.length + 1);
    // kps.S.(low2.)*{up1,low1,low2,low3}.I.<block param>; the innermost low2.I are the bottom blocks
    if ((m = /^(\d+)\.((?:low2\.)*)(up1|low1|low2|low3)\.(\d+)\.(.+)$/.exec(h))) {
      const param = layout.block === 'fire' ? fireParam(m[5]) : residualParam(m[5]);
      return at(`hg.hgs.${m[1]}.${m[2]}${m[3]}.${m[4]}`, param);
    }
    // CornerNet-Squeeze up-samples with a ConvTranspose2d (with bias); the residual hourglass has no up2 parameters
    if (layout.block === 'fire' && (m = /^(\d+)\.((?:low2\.)*)up2\.(weight|bias)$/.exec(h))) return `hg.hgs.${m[1]}.${m[2]}up2.${m[3]}`;
    return undefined;
  }
  if ((m = /^cnvs\.(\d+)\.(.+)$/.exec(k))) return at(`hg.cnvs.${m[1]}`, convolutionParam(m[2]));
  if ((m = /^inters\.(\d+)\.(.+)$/.exec(k))) return at(`hg.inters.${m[1]}`, residualParam(m[2]));
  if ((m = /^(inters_|cnvs_)\.(\d+)\.(.+)$/.exec(k))) return at(`hg.${m[1]}.${m[2]}`, convBnParam(m[3]));
  return undefined;
}

/** `corner_pool` (p1_conv1, p2_conv1, p_conv1/p_bn1, conv1/bn1, conv2) -> cornernet-head.ts cornerModule(). */
export function cornerModuleParam(path: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^(p1_conv1|p2_conv1|conv2)\.(.+)$/.exec(path))) return at(m[1], convolutionParam(m[2]));
  if (path === 'p_conv1.weight' || path === 'conv1.weight') return path;
  return bnParam(path, 'p_bn1', 'p_conv1.bn.') ?? bnParam(path, 'bn1', 'conv1.bn.');
}

/** `make_kp_layer`: `0.conv.{weight,bias}` (conv + ReLU) and `1.{weight,bias}` -> blocks.ts predictionHead(). */
export function predictionHeadParam(path: string): string | undefined {
  if (path === '0.conv.weight' || path === '0.conv.bias') return `0.${path.slice('0.conv.'.length)}`;
  if (path === '1.weight' || path === '1.bias') return path;
  return undefined;
}

/** The official names of CornerNet's modules in one code base. */
export interface CornerLayout {
  /** The corner pooling modules: `cnvs` (princeton-vl/CornerNet: tl_cnvs) or `modules` (CornerNet-Lite: tl_modules). */
  cornerModules: 'cnvs' | 'modules';
  /** The offset heads: `regrs` (CornerNet) or `offs` (CornerNet-Lite). */
  offsets: 'regrs' | 'offs';
}

/** The anchorless name of a CornerNet head key (corner modules, heats, tags, offsets); undefined if not one. */
export function renameCornerHeads(key: string, layout: CornerLayout): string | undefined {
  let m = /^(tl|br)_(cnvs|modules)\.(\d+)\.(.+)$/.exec(key);
  if (m) return m[2] === layout.cornerModules ? at(`${m[1]}_modules.${m[3]}`, cornerModuleParam(m[4])) : undefined;
  m = /^(tl|br)_(heats|tags|regrs|offs)\.(\d+)\.(.+)$/.exec(key);
  if (!m) return undefined;
  if ((m[2] === 'regrs' || m[2] === 'offs') && m[2] !== layout.offsets) return undefined;
  // cornernet-head.ts names the offset heads tl_regrs / br_regrs in either code base
  const kind = m[2] === 'offs' ? 'regrs' : m[2];
  return at(`${m[1]}_${kind}.${m[3]}`, predictionHeadParam(m[4]));
}

/**
 * The hourglass backbone part of a checkpoint, every width read from the shapes: stem channels
 * (pre.0), stride-2 stem residuals (pre.1, pre.2, ...), stacks (hourglasses), per level the
 * channels and block count (up1.N of each nested low2, the bottom's low2.N), and cnvs channels.
 */
export function readHourglass(s: Shapes, layout: TrunkLayout): PartConfig {
  const root = layout.root;
  const stemChannels = s.convOut(`${root}pre.0.conv.weight`);
  let stemResiduals = 0;
  while (s.has(`${root}pre.${stemResiduals + 1}.conv1.weight`)) stemResiduals++;
  if (stemResiduals === 0) s.fail(`no stem residual ${root}pre.1 (key ${root}pre.1.conv1.weight)`);
  const hg = `${root}${layout.hourglasses}.`;
  // every block (residual or fire) ends in a batch norm `bn2` of its output channels
  const stacks = s.count(hg, '.up1.0.bn2.weight');
  if (stacks === 0) s.fail(`no hourglass (key ${hg}0.up1.0.bn2.weight)`);
  const channels: number[] = [];
  const modules: number[] = [];
  let level = `${hg}0`;
  for (;;) {
    channels.push(s.length(`${level}.up1.0.bn2.weight`));
    modules.push(s.count(`${level}.up1.`, '.bn2.weight'));
    if (!s.has(`${level}.low2.up1.0.bn2.weight`)) break;
    level = `${level}.low2`;
    if (channels.length > 8) s.fail(`hourglass ${hg}0 is nested deeper than 8 levels`);
  }
  // the bottom: low2 is a ModuleList of blocks at the innermost width
  channels.push(s.length(`${level}.low2.0.bn2.weight`));
  modules.push(s.count(`${level}.low2.`, '.bn2.weight'));
  return {
    type: layout.block === 'fire' ? 'squeeze-hourglass' : 'hourglass',
    stacks,
    stemChannels,
    stemResiduals,
    channels,
    modules,
    cnvChannels: s.convOut(`${root}cnvs.0.conv.weight`),
  };
}

/**
 * The official CornerNet test input (configs/CornerNet*.json input_size 511 x 511; the test gives
 * each side the form 128k - 1 and maps boxes back with the output / input size ratio).
 */
export const CORNERNET_TEST_INPUT: [number, number] = [511, 511];

/** The CornerNet head part: pool channels, head channels and kernel, read from the first stack's modules. */
export function readCornerHead(s: Shapes, layout: CornerLayout): { head: PartConfig; numClasses: number } {
  const heat = 'tl_heats.0.0.conv.weight';
  return {
    head: {
      type: 'cornernet',
      poolChannels: s.convOut(`tl_${layout.cornerModules}.0.p1_conv1.conv.weight`),
      headChannels: s.convOut(heat),
      headKernel: s.convKernel(heat),
    },
    numClasses: s.convOut('tl_heats.0.1.weight'),
  };
}

/** What distinguishes one published CornerNet checkpoint family from another. */
export interface CornerNetFamilySpec {
  name: string;
  published: string;
  matches: OfficialFamily['matches'];
  trunk: TrunkLayout;
  corners: CornerLayout;
  /** The official test's decode settings. */
  decode: DecodeConfig;
  /** CornerNet-Lite's models name the offsets `tl_offs` / `br_offs`: what infer() calls them. */
  liteOutputNames: boolean;
}

/** A CornerNet family: the hourglass trunk and corner heads read from the shapes, at the official 511 x 511. */
export function cornerNetFamily(spec: CornerNetFamilySpec): OfficialFamily {
  return {
    name: spec.name,
    published: spec.published,
    matches: spec.matches,
    config(keys: ShapeMap, source: string) {
      const s = new Shapes(keys, `${source}: ${spec.name}`);
      const { head, numClasses } = readCornerHead(s, spec.corners);
      return officialConfig(
        {
          name: spec.name,
          detector: 'cornernet',
          backbone: readHourglass(s, spec.trunk),
          head,
          numClasses,
          inputSize: CORNERNET_TEST_INPUT,
          decode: spec.decode,
          ...(spec.liteOutputNames ? { outputNames: { ...CORNERNET_LITE_OUTPUT_NAMES } } : {}),
        },
        source,
      );
    },
    rename: (key: string) => renameCornerHeads(key, spec.corners) ?? renameTrunk(key, spec.trunk),
  };
}
