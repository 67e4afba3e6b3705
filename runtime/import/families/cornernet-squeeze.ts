// CornerNet-Squeeze (princeton-vl/CornerNet-Lite core/models/CornerNet_Squeeze.py,
// `CornerNet_Squeeze_500000.pkl`): the CornerNet-Lite layout (`hg.`, `tl_modules`, `tl_offs`)
// with fire modules and ConvTranspose2d up-sampling (`up2`) in the hourglasses, a second stem
// residual (output stride 8) and 1x1 first head convs. Official test
// (configs/CornerNet_Squeeze.json): 511 x 511, top_k 20, num_dets 100, ae_threshold 0.5.

import { cornerNetFamily } from './hourglass-keys.js';

export const cornernetSqueeze = /* @__PURE__ */ cornerNetFamily({
  name: 'cornernet-squeeze',
  published: 'CornerNet-Lite CornerNet_Squeeze_500000.pkl',
  matches: (keys) => keys.has('hg.hgs.0.up1.0.conv_1x1.weight') && keys.has('tl_modules.0.p1_conv1.conv.weight'),
  trunk: { root: 'hg.', hourglasses: 'hgs', block: 'fire' },
  corners: { cornerModules: 'modules', offsets: 'offs' },
  decode: { k: 20, kernel: 3, aeThreshold: 0.5, numDets: 100 },
  liteOutputNames: true,
});
