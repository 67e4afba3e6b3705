// CornerNet-Squeeze (princeton-vl/CornerNet-Lite core/models/CornerNet_Squeeze.py,
// `CornerNet_Squeeze_500000.pkl`): the CornerNet-Lite layout (`hg.`, `tl_modules`, `tl_offs`)
// with fire modules and ConvTranspose2d up-sampling (`up2`) in the hourglasses, a second stem
// residual (output stride 8) and 1x1 first head convs. Official test
// (configs/CornerNet_Squeeze.json): 511 x 511, top_k 20, num_dets 100, ae_threshold 0.5.

import { CORNERNET_LITE_OUTPUT_NAMES } from '../../model/names.js';
import type { OfficialFamily, ShapeMap } from '../family.js';
import { CORNERNET_TEST_INPUT, readCornerHead, readHourglass, renameCornerHeads, renameTrunk, type CornerLayout, type TrunkLayout } from './hourglass-keys.js';
import { officialConfig, Shapes } from './shapes.js';

const NAME = 'cornernet-squeeze';
const TRUNK: TrunkLayout = { root: 'hg.', hourglasses: 'hgs', block: 'fire' };
const CORNERS: CornerLayout = { cornerModules: 'modules', offsets: 'offs' };

export const cornernetSqueeze: OfficialFamily = {
  name: NAME,
  published: 'CornerNet-Lite CornerNet_Squeeze_500000.pkl',
  matches: (keys) => keys.has('hg.hgs.0.up1.0.conv_1x1.weight') && keys.has('tl_modules.0.p1_conv1.conv.weight'),
  config(keys: ShapeMap, source: string) {
    const s = new Shapes(keys, `${source}: ${NAME}`);
    const { head, numClasses } = readCornerHead(s, CORNERS);
    return officialConfig(
      {
        name: NAME,
        detector: 'cornernet',
        backbone: readHourglass(s, TRUNK),
        head,
        numClasses,
        inputSize: CORNERNET_TEST_INPUT,
        decode: { k: 20, kernel: 3, aeThreshold: 0.5, numDets: 100 },
        // infer() names the offsets as this code base does: tl_offs, br_offs
        outputNames: { ...CORNERNET_LITE_OUTPUT_NAMES },
      },
      source,
    );
  },
  rename: (key: string) => renameCornerHeads(key, CORNERS) ?? renameTrunk(key, TRUNK),
};
