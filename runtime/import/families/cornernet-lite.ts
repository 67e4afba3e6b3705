// CornerNet as published with princeton-vl/CornerNet-Lite (core/models/CornerNet.py,
// `CornerNet_500000.pkl`): the same network as princeton-vl/CornerNet's, the trunk under `hg.`
// (`hg.pre`, `hg.hgs`, `hg.cnvs`, ...), corner modules `tl_modules` / `br_modules`, offsets named
// `tl_offs` / `br_offs`. Official test (configs/CornerNet.json): 511 x 511, top_k 100,
// ae_threshold 0.5, 3x3 peaks, num_dets 1000 (core/dbs/detection.py's default).

import { cornerNetFamily } from './hourglass-keys.js';

export const cornernetLite = /* @__PURE__ */ cornerNetFamily({
  name: 'cornernet-lite',
  published: 'CornerNet-Lite CornerNet_500000.pkl',
  // residual hourglass blocks (conv2) and no attention modules: not CornerNet-Squeeze or -Saccade
  matches: (keys) =>
    keys.has('hg.hgs.0.up1.0.conv2.weight') && keys.has('tl_modules.0.p1_conv1.conv.weight') && !keys.has('att_modules.0.0.0.conv.weight'),
  trunk: { root: 'hg.', hourglasses: 'hgs', block: 'residual' },
  corners: { cornerModules: 'modules', offsets: 'offs' },
  decode: { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000 },
  liteOutputNames: true,
});
