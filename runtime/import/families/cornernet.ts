// CornerNet as published with princeton-vl/CornerNet (models/CornerNet.py + py_utils/kp.py,
// `CornerNet_500000.pkl`, PyTorch 0.4.0): the hourglass trunk at the top level (`pre`, `kps`, ...),
// corner pooling modules `tl_cnvs` / `br_cnvs`, heads `tl_heats`, `tl_tags`, `tl_regrs` (the
// regrs come after `inters`, `inters_`, `cnvs_` in the file: key order does not matter here).
// Official test (config/CornerNet.json): 511 x 511, top_k 100, ae_threshold 0.5, 3x3 peaks, and
// the model's default num_dets 1000.

import { cornerNetFamily } from './hourglass-keys.js';

export const cornernet = /* @__PURE__ */ cornerNetFamily({
  name: 'cornernet',
  published: 'princeton-vl/CornerNet CornerNet_500000.pkl',
  matches: (keys) => keys.has('kps.0.up1.0.conv1.weight') && keys.has('tl_cnvs.0.p1_conv1.conv.weight'),
  trunk: { root: '', hourglasses: 'kps', block: 'residual' },
  corners: { cornerModules: 'cnvs', offsets: 'regrs' },
  decode: { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000 },
  liteOutputNames: false,
});
