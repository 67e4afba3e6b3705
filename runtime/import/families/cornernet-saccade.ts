// CornerNet-Saccade (princeton-vl/CornerNet-Lite core/models/CornerNet_Saccade.py,
// `CornerNet_Saccade_500000.pkl`): the CornerNet-Lite trunk under `hg.` (3 stacks of an order-3
// hourglass), corner modules `tl_modules` / `br_modules`, heads `tl_heats`, ..., `tl_offs`, and the
// attention heads `att_modules.<stack>.<level>` that only this family has. Config: the preset
// `cornernet-saccade` with every width and the class count read from the shapes.

import type { OfficialFamily, ShapeMap } from '../family.js';
import { CORNERNET_LITE_OUTPUT_NAMES } from '../../model/names.js';
import { officialConfig, Shapes } from './shapes.js';

const NAME = 'cornernet-saccade';

export const cornernetSaccade: OfficialFamily = {
  name: NAME,
  published: 'CornerNet-Lite CornerNet_Saccade_500000.pkl',
  matches: (keys) => keys.has('att_modules.0.0.0.conv.weight') && keys.has('hg.pre.0.conv.weight'),
  config(keys: ShapeMap, source: string) {
    const s = new Shapes(keys, `${source}: ${NAME}`);
    const stacks = s.count('hg.hgs.', '.up1.0.conv1.weight');
    if (stacks < 1) s.fail('no hourglass stack hg.hgs.0 found');
    // hg.pre.0 is the 7x7 convolution, hg.pre.1 ... the stride-2 residuals
    let stemResiduals = 0;
    while (keys.has(`hg.pre.${stemResiduals + 1}.conv1.weight`)) stemResiduals++;
    // Walk down the first stack: level d's module is hg.hgs.0 + ".low2" * d; its up1 blocks run at
    // the level's width, its low1 blocks at the next one; the bottom level is a plain ".low2.<i>" list.
    const channels: number[] = [];
    const modules: number[] = [];
    let at = 'hg.hgs.0';
    while (keys.has(`${at}.up1.0.conv1.weight`)) {
      channels.push(s.convOut(`${at}.up1.0.conv1.weight`));
      modules.push(s.count(`${at}.up1.`, '.conv1.weight'));
      at += '.low2';
      if (channels.length > 8) s.fail('hourglass deeper than 8 levels');
    }
    const bottom = s.count(`${at}.`, '.conv1.weight');
    if (bottom < 1) s.fail(`expected the bottom blocks ${at}.0.* of the hourglass`);
    channels.push(s.convOut(`${at}.0.conv1.weight`));
    modules.push(bottom);
    const levels = channels.length - 1;
    const attLevels = s.count('att_modules.0.', '.0.conv.weight');
    if (attLevels !== levels) s.fail(`att_modules.0 has ${attLevels} attention heads but the hourglass has ${levels} levels`);
    for (let i = 0; i < levels; i++) {
      // head i (deepest first) reads the merged output of level levels - 1 - i
      const cin = s.dim(`att_modules.0.${i}.0.conv.weight`, 1, 4);
      if (cin !== channels[levels - 1 - i]) s.fail(`att_modules.0.${i}.0.conv.weight reads ${cin} channels, hourglass level ${levels - 1 - i} has ${channels[levels - 1 - i]}`);
    }
    return officialConfig(
      {
        name: NAME,
        detector: 'cornernet',
        backbone: {
          type: 'hourglass',
          stacks,
          stemChannels: s.convOut('hg.pre.0.conv.weight'),
          stemResiduals,
          channels,
          modules,
          cnvChannels: s.convOut('hg.cnvs.0.conv.weight'),
        },
        head: {
          type: 'cornernet-saccade',
          poolChannels: s.convOut('tl_modules.0.p1_conv1.conv.weight'),
          headChannels: s.convOut('tl_heats.0.0.conv.weight'),
          headKernel: s.convKernel('tl_heats.0.0.conv.weight'),
          attChannels: s.convOut('att_modules.0.0.0.conv.weight'),
        },
        numClasses: s.convOut('tl_heats.0.1.weight'),
        // The official input_size: 255 x 255 (output 64 x 64).
        inputSize: [255, 255],
        outputNames: { ...CORNERNET_LITE_OUTPUT_NAMES },
        // configs/CornerNet_Saccade.json
        decode: { k: 12, kernel: 3, aeThreshold: 0.3, numDets: 12 },
      },
      source,
    );
  },
  rename: renameCornerNetSaccade,
};

/**
 * Official key (prefix stripped) -> anchorless parameter name. The official modules nest their
 * layers (`convolution`: .conv, .bn; `residual`: conv1, bn1, conv2, bn2, skip.0 / skip.1; merge
 * modules .0 / .1; corner_pool's p_bn1 / bn1), anchorless folds each batch norm into the conv node
 * it follows (`<conv>.bn.*`). Every key maps to a name (never null): a key of no module here keeps
 * its name, which then matches no parameter and the importer reports it.
 */
export function renameCornerNetSaccade(key: string): string {
  const bn = '(weight|bias|running_mean|running_var)';
  const rules: [RegExp, string][] = [
    // convolution(k, ...): conv (+ bias) and its batch norm
    [/^(.*)\.conv\.(weight|bias)$/, '$1.$2'],
    [new RegExp(`^(.*)\\.bn\\.${bn}$`), '$1.bn.$2'],
    // residual: bn1 / bn2 follow conv1 / conv2; the skip is Sequential(conv, bn)
    [new RegExp(`^(.*)\\.bn([12])\\.${bn}$`), '$1.conv$2.bn.$3'],
    [/^(.*\.skip)\.0\.weight$/, '$1.weight'],
    [new RegExp(`^(.*\\.skip)\\.1\\.${bn}$`), '$1.bn.$2'],
    // corner_pool: p_bn1 follows p_conv1 (its conv1 / bn1 pair is covered by the residual rule)
    [new RegExp(`^(.*)\\.p_bn1\\.${bn}$`), '$1.p_conv1.bn.$2'],
    // the merge modules between stacks: Sequential(conv 1x1, bn)
    [/^(hg\.(?:inters_|cnvs_)\.\d+)\.0\.weight$/, '$1.weight'],
    [new RegExp(`^(hg\\.(?:inters_|cnvs_)\\.\\d+)\\.1\\.${bn}$`), '$1.bn.$2'],
  ];
  let name = key;
  // CornerNet-Lite's offsets are tl_offs / br_offs; anchorless calls the head tl_regr / br_regr.
  name = name.replace(/^(tl|br)_offs\./, '$1_regrs.');
  for (const [pattern, replacement] of rules) {
    if (pattern.test(name)) return name.replace(pattern, replacement);
  }
  // plain convs already named like ours: p_conv1.weight, conv1.weight, heads' ".1." 1x1 convs
  return name;
}

