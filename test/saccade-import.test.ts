// The CornerNet-Saccade importer family against the published checkpoint's full key list
// (test/fixtures/official/MANIFEST.json): the config read from the shapes is the official
// architecture, and the renamed keys correspond one to one with the graph's parameters, shapes
// equal after the (2, 3, 1, 0) transpose of 4-D tensors. Also a narrow copy (widths / 16).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cornernetSaccade } from '../runtime/import/families/cornernet-saccade.js';
import { paramSpecs } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';

type Entry = [string, number[], string];
const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'official', 'MANIFEST.json'), 'utf8'));
const family = manifest.families['cornernet-saccade'];
const officialKeys: Entry[] = family.official.keys;

/** The state dict's shapes as the importer core hands them over: `module.` stripped, file order. */
function shapeMap(entries: Entry[]): Map<string, number[]> {
  return new Map(entries.map(([k, s]) => [k.replace(/^module\./, ''), s]));
}

/** Every tensor maps to a distinct parameter of the same (transposed) shape, and every parameter is filled. */
function checkOneToOne(keys: Map<string, number[]>) {
  const config = cornernetSaccade.config(keys, 'manifest');
  const specs = new Map(paramSpecs(buildGraph(config)).map((p) => [p.name, p.shape]));
  const used = new Set<string>();
  for (const [key, shape] of keys) {
    if (key.endsWith('.num_batches_tracked')) continue;
    const name = cornernetSaccade.rename(key);
    assert.ok(name !== null, `${key} is imported`);
    const expected = specs.get(name!);
    assert.ok(expected, `${key} -> ${name} is a parameter`);
    const transposed = shape.length === 4 ? [shape[2], shape[3], shape[1], shape[0]] : shape;
    assert.equal(expected, transposed, `${key} -> ${name}`);
    assert.not.ok(used.has(name!), `${name} filled twice`);
    used.add(name!);
  }
  assert.equal([...specs.keys()].filter((n) => !used.has(n)), [], 'every parameter filled');
  return config;
}

test('the manifest lists the published file: 828 tensors, 120 of them num_batches_tracked', () => {
  assert.is(officialKeys.length, 828);
  assert.is(officialKeys.filter(([k]) => k.endsWith('num_batches_tracked')).length, 120);
});

test('signature: att_modules makes a CornerNet-Saccade; CornerNet-Lite (no attention) does not match', () => {
  assert.ok(cornernetSaccade.matches(shapeMap(officialKeys)));
  const lite = shapeMap(manifest.families['cornernet-lite'].official.keys);
  assert.not.ok(cornernetSaccade.matches(lite));
});

test('full width: the official architecture read from the shapes, keys one to one with the parameters', () => {
  const config = checkOneToOne(shapeMap(officialKeys));
  const official = preset('cornernet-saccade');
  assert.equal(config.backbone, official.backbone);
  assert.equal(config.head, official.head);
  assert.is(config.numClasses, 80);
  assert.is(config.labels[0], 'person');
  assert.equal(config.decode, { k: 12, kernel: 3, aeThreshold: 0.3, numDets: 12, pairScore: 'mean' });
});

test('a narrow copy (every width / 16, as the fixture checkpoint) imports with its widths', () => {
  // class count, embeddings (1), offsets (2), RGB (3) and kernel sides keep their sizes
  const keep = new Set([80, 1, 2, 3, 7]);
  const narrow = officialKeys.map(([k, s, t]): Entry => [k, s.map((d) => (keep.has(d) ? d : d / 16)), t]);
  const config = checkOneToOne(shapeMap(narrow));
  assert.equal(config.backbone, { type: 'hourglass', stacks: 3, stemChannels: 8, stemResiduals: 1, channels: [16, 24, 24, 32], modules: [1, 1, 1, 1], cnvChannels: 16 });
  assert.equal(config.head, { type: 'cornernet-saccade', poolChannels: 8, headChannels: 16, headKernel: 3, attChannels: 16 });
  const widths = family.reduced.widths;
  assert.equal(widths.dims, [16, 24, 24, 32]);
});

test('an attention head reading the wrong level is an Error naming the key', () => {
  const keys = shapeMap(officialKeys);
  keys.set('att_modules.0.2.0.conv.weight', [256, 384, 3, 3]);
  assert.throws(() => cornernetSaccade.config(keys, 'bad.pth'), /bad\.pth: cornernet-saccade: att_modules\.0\.2\.0\.conv\.weight reads 384 channels, hourglass level 0 has 256/);
});

test('renames: CornerNet-Lite nesting folded onto the conv nodes, offsets under the regr head name', () => {
  const cases: [string, string][] = [
    ['hg.pre.0.conv.weight', 'hg.pre.0.weight'],
    ['hg.pre.1.bn1.running_var', 'hg.pre.1.conv1.bn.running_var'],
    ['hg.hgs.2.low2.low2.low3.0.skip.1.bias', 'hg.hgs.2.low2.low2.low3.0.skip.bn.bias'],
    ['hg.inters_.1.1.weight', 'hg.inters_.1.bn.weight'],
    ['hg.cnvs_.0.0.weight', 'hg.cnvs_.0.weight'],
    ['tl_modules.1.p_bn1.running_mean', 'tl_modules.1.p_conv1.bn.running_mean'],
    ['br_offs.2.0.conv.bias', 'br_regrs.2.0.bias'],
    ['att_modules.1.2.1.weight', 'att_modules.1.2.1.weight'],
  ];
  for (const [key, name] of cases) assert.is(cornernetSaccade.rename(key), name, key);
});

test.run();
