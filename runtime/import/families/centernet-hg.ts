// CenterNet ctdet with the Hourglass-104 backbone (xingyizhou/CenterNet
// src/lib/models/networks/large_hourglass.py, `ctdet_coco_hg.pth`): the CornerNet trunk at the top
// level (`pre`, `kps`, `cnvs`, `inters`, `inters_`, `cnvs_`) and per stack the heads `hm`, `wh`,
// `reg` (make_kp_layer: 3x3 conv + ReLU, 1x1 conv). Official test: 512 x 512, K = 100, 3x3 peaks.

import type { OfficialFamily, ShapeMap } from '../family.js';
import { predictionHeadParam, readHourglass, renameTrunk, type TrunkLayout } from './hourglass-keys.js';
import { officialConfig, Shapes } from './shapes.js';

const NAME = 'centernet-hg';
const TRUNK: TrunkLayout = { root: '', hourglasses: 'kps', block: 'residual' };

export const centernetHg: OfficialFamily = {
  name: NAME,
  published: 'CenterNet ctdet_coco_hg.pth',
  matches: (keys) => keys.has('kps.0.up1.0.conv1.weight') && keys.has('hm.0.1.weight'),
  config(keys: ShapeMap, source: string) {
    const s = new Shapes(keys, `${source}: ${NAME}`);
    const heat = 'hm.0.0.conv.weight';
    return officialConfig(
      {
        name: NAME,
        detector: 'centernet',
        backbone: readHourglass(s, TRUNK),
        head: { type: 'centernet', headChannels: s.convOut(heat), headKernel: s.convKernel(heat) },
        numClasses: s.convOut('hm.0.1.weight'),
        // opts.py: input_res 512 for ctdet; K 100; _nms uses a 3x3 max-pool
        inputSize: [512, 512],
        decode: { k: 100, kernel: 3 },
      },
      source,
    );
  },
  rename(key: string) {
    const m = /^(hm|wh|reg)\.(\d+)\.(.+)$/.exec(key);
    if (m) {
      const param = predictionHeadParam(m[3]);
      return param === undefined ? undefined : `${m[1]}.${m[2]}.${param}`;
    }
    return renameTrunk(key, TRUNK);
  },
};
