// CenterNet ctdet with ResNet + DCN up-sampling (xingyizhou/CenterNet
// src/lib/models/networks/resnet_dcn.py `PoseResNet`, `ctdet_coco_resdcn18.pth` and
// `ctdet_coco_resdcn101.pth`): torchvision's ResNet at the top level (`conv1`, `bn1`,
// `layerN.i.{conv,bn}K`, `downsample.{0,1}`), `deconv_layers` = per stage DCN (with its
// `conv_offset_mask`), BN, ReLU, ConvTranspose2d, BN, ReLU (indices 6i .. 6i + 5), and the heads
// `hm`, `wh`, `reg` (3x3 conv + ReLU, 1x1 conv: `X.0`, `X.2`). Official test: 512 x 512, K = 100.
//
// Our node names (runtime/model/parts/resnet.ts, dcn-deconv-neck.ts, centernet-head.ts) differ
// only where PyTorch keeps batch norm as a module of its own: `bn1` -> `conv1.bn`,
// `layerN.i.bnK` -> `layerN.i.convK.bn`, `downsample.0` / `.1` -> `downsample` / `downsample.bn`,
// `deconv_layers.{6i+1, 6i+4}` -> `deconv_layers.{6i, 6i+3}.bn`; heads `hm.0` / `hm.2` -> `hm.0.0` / `hm.0.1`.

import type { OfficialFamily, ShapeMap } from '../family.js';
import { officialConfig, Shapes } from './shapes.js';

const NAME = 'centernet-resdcn';
const STAGE_MODULES = 6;
const BN_PARAM = /^(weight|bias|running_mean|running_var)$/;

export const centernetResdcn: OfficialFamily = {
  name: NAME,
  published: 'CenterNet ctdet_coco_resdcn18.pth, ctdet_coco_resdcn101.pth',
  matches: (keys) => keys.has('layer1.0.conv1.weight') && keys.has('deconv_layers.0.conv_offset_mask.weight') && keys.has('hm.2.weight'),
  config(keys: ShapeMap, source: string) {
    const s = new Shapes(keys, `${source}: ${NAME}`);
    const stages = [1, 2, 3, 4].filter((i) => s.has(`layer${i}.0.conv1.weight`));
    if (stages.length !== 4) s.fail(`expected the four ResNet stages layer1 .. layer4, found ${stages.map((i) => `layer${i}`).join(', ') || 'none'}`);
    // BasicBlock (ResNet-18/34) has two convs, Bottleneck (50/101/152) a third, 1x1, with 4x expansion
    const bottleneck = s.has('layer1.0.conv3.weight');
    const layers = stages.map((i) => s.count(`layer${i}.`, '.conv1.weight'));
    const channels = stages.map((i) => s.convOut(`layer${i}.0.conv1.weight`));
    const neck: number[] = [];
    while (s.has(`deconv_layers.${STAGE_MODULES * neck.length}.conv_offset_mask.weight`)) {
      const dcn = `deconv_layers.${STAGE_MODULES * neck.length}`;
      const k = s.convKernel(`${dcn}.weight`);
      if (k !== 3) s.fail(`key ${dcn}.weight has a ${k}x${k} kernel; resnet_dcn's DCN layers are 3x3`);
      neck.push(s.convOut(`${dcn}.weight`));
    }
    const heat = 'hm.0.weight';
    return officialConfig(
      {
        name: NAME,
        detector: 'centernet',
        backbone: { type: 'resnet', block: bottleneck ? 'bottleneck' : 'basic', layers, channels, stemChannels: s.convOut('conv1.weight') },
        neck: { type: 'dcn-deconv', channels: neck },
        head: { type: 'centernet', headChannels: s.convOut(heat), headKernel: s.convKernel(heat) },
        numClasses: s.convOut('hm.2.weight'),
        // opts.py: input_res 512 for ctdet; K 100; _nms uses a 3x3 max-pool
        inputSize: [512, 512],
        decode: { k: 100, kernel: 3 },
      },
      source,
    );
  },
  rename: renameResdcn,
};

function renameResdcn(key: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^conv1\.weight$/.exec(key))) return 'conv1.weight';
  if ((m = /^bn1\.(.+)$/.exec(key))) return BN_PARAM.test(m[1]) ? `conv1.bn.${m[1]}` : undefined;
  if ((m = /^(layer\d+\.\d+)\.(.+)$/.exec(key))) return renameBlock(m[1], m[2]);
  if ((m = /^deconv_layers\.(\d+)\.(.+)$/.exec(key))) return renameNeck(Number(m[1]), m[2]);
  if ((m = /^(hm|wh|reg)\.([02])\.(weight|bias)$/.exec(key))) return `${m[1]}.0.${m[2] === '0' ? 0 : 1}.${m[3]}`;
  return undefined;
}

/** A block's `convK.weight`, `bnK.*`, `downsample.0.weight`, `downsample.1.*`. */
function renameBlock(block: string, rest: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^conv(\d)\.weight$/.exec(rest))) return `${block}.conv${m[1]}.weight`;
  if ((m = /^bn(\d)\.(.+)$/.exec(rest))) return BN_PARAM.test(m[2]) ? `${block}.conv${m[1]}.bn.${m[2]}` : undefined;
  if (rest === 'downsample.0.weight') return `${block}.downsample.weight`;
  if ((m = /^downsample\.1\.(.+)$/.exec(rest))) return BN_PARAM.test(m[1]) ? `${block}.downsample.bn.${m[1]}` : undefined;
  return undefined;
}

/** `deconv_layers.{6i}` DCN, `{6i+1}` its BN, `{6i+3}` ConvTranspose2d, `{6i+4}` its BN (the ReLUs have no parameters). */
function renameNeck(index: number, rest: string): string | undefined {
  const stage = Math.floor(index / STAGE_MODULES);
  const dcn = `deconv_layers.${STAGE_MODULES * stage}`;
  const up = `deconv_layers.${STAGE_MODULES * stage + 3}`;
  switch (index % STAGE_MODULES) {
    case 0:
      return /^(weight|bias|conv_offset_mask\.weight|conv_offset_mask\.bias)$/.test(rest) ? `${dcn}.${rest}` : undefined;
    case 1:
      return BN_PARAM.test(rest) ? `${dcn}.bn.${rest}` : undefined;
    case 3:
      return rest === 'weight' ? `${up}.weight` : undefined;
    case 4:
      return BN_PARAM.test(rest) ? `${up}.bn.${rest}` : undefined;
    default:
      return undefined;
  }
}
