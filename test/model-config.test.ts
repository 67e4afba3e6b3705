// validateConfig refuses every malformed field with an Error that names the source and the field;
// users can compose their own architectures from the registered parts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeSettings, parseConfigJson, validateConfig } from '../runtime/model/config.js';
import { inferShapes } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, registerPart, registry } from '../runtime/model/registry.js';

const base = () => JSON.parse(JSON.stringify(preset('centernet-tiny', { numClasses: 2 }))) as Record<string, any>;
const corner = () => JSON.parse(JSON.stringify(preset('cornernet-tiny', { numClasses: 2 }))) as Record<string, any>;

function refuses(raw: unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    validateConfig(raw, 'my-model.json');
  } catch (e) {
    err = e;
  }
  assert.instance(err, Error, `expected an Error matching ${pattern}`);
  const msg = (err as Error).message;
  assert.ok(msg.startsWith('my-model.json'), `message names the source: ${msg}`);
  assert.match(msg, pattern);
}

const edit = (f: (c: Record<string, any>) => void, from = base) => {
  const c = from();
  f(c);
  return c;
};

test('not an object / unknown top-level field / wrong format', () => {
  refuses(null, /must be a JSON object/);
  refuses([1], /must be a JSON object/);
  refuses(edit((c) => (c.numClass = 3)), /unknown field "numClass"/);
  refuses(edit((c) => (c.format = 'anchorless-model/2')), /format must be "anchorless-model\/1"/);
  refuses(edit((c) => delete c.format), /format must be/);
});

test('name, detector, classes and labels', () => {
  refuses(edit((c) => (c.name = '')), /name must be a non-empty string/);
  refuses(edit((c) => (c.detector = 'yolo')), /detector must be one of "centernet", "cornernet", got "yolo"/);
  refuses(edit((c) => (c.numClasses = 0)), /numClasses must be an integer in \[1, 100000\], got 0/);
  refuses(edit((c) => (c.numClasses = 2.5)), /numClasses must be an integer/);
  refuses(edit((c) => (c.labels = ['a'])), /labels has 1 entries but numClasses is 2/);
  refuses(edit((c) => (c.labels = ['a', 7])), /labels\[1\] must be a non-empty string, got 7/);
  refuses(edit((c) => (c.labels = 'a,b')), /labels must be an array/);
});

test('inputSize, mean and std', () => {
  refuses(edit((c) => (c.inputSize = [256])), /inputSize must be an array of 2 numbers/);
  refuses(edit((c) => (c.inputSize = [256, -32])), /inputSize\[1\] must be an integer/);
  refuses(edit((c) => (c.inputSize = [256, 250])), /inputSize \[256,250\] does not fit this architecture \(output stride 4\): graph node \S+: add of .*sides that fit near 250: .*multiples of 16/);
  refuses(edit((c) => (c.inputSize = [250, 256]), corner), /inputSize \[250,256\] does not fit .*multiples of 32/);
  refuses(edit((c) => (c.mean = [0.5, 0.5])), /mean must be an array of 3 numbers/);
  refuses(edit((c) => (c.mean = [0.5, 'x', 0.5])), /mean\[1\] must be a number/);
  refuses(edit((c) => (c.std = [0.2, 0, 0.2])), /std\[1\] must be a number in \[1e-12/);
  refuses(edit((c) => (c.std = [0.2, null, 0.2])), /std\[1\]/);
});

test('parts: unknown type, bad or unknown parameters, parts that do not fit', () => {
  refuses(edit((c) => (c.backbone = 'resnet')), /backbone must be an object with a "type" field/);
  refuses(edit((c) => (c.backbone.type = 'vgg')), /backbone.type must be one of "resnet", "hourglass", "squeeze-hourglass", "dla", got "vgg"/);
  refuses(edit((c) => (c.backbone.channels[2] = -1)), /backbone.channels\[2\] must be an integer in \[1, 65536\], got -1/);
  refuses(edit((c) => (c.backbone.layers = [2, 2, 2, 2, 2])), /backbone.layers must have 1 to 4 entries, got 5/);
  refuses(edit((c) => (c.backbone.layers = [2, 2])), /backbone.channels must have 2 entries, got 3/);
  refuses(edit((c) => (c.backbone.chanels = [1, 2, 3, 4])), /backbone.chanels: unknown field for type "resnet"/);
  refuses(edit((c) => (c.backbone.block = 'dense')), /backbone.block must be one of "basic", "bottleneck", got "dense"/);
  refuses(edit((c) => (c.neck.type = 'fpn')), /neck.type must be one of "deconv", "dcn-deconv", "dla-up", got "fpn"/);
  refuses(edit((c) => (c.neck.kernel = 5)), /neck.kernel must be an integer in \[2, 4\], got 5/);
  refuses(edit((c) => (c.head.headKernel = 2)), /head: headKernel must be 1 or 3, got 2/);
  refuses(edit((c) => (c.head.type = 'cornernet')), /head.type "cornernet" makes cornernet heads but detector is "centernet"/);
  refuses(edit((c) => (c.backbone.modules = [1, 1, 1]), corner), /backbone: modules has 3 entries but channels has 4/);
  refuses(edit((c) => Object.assign(c.backbone, { type: 'squeeze-hourglass', channels: [32, 33, 48, 64] }), corner), /backbone: channels\[1\] is 33: fire modules need even channel counts/);
  refuses(edit((c) => (c.neck = { type: 'deconv', channels: [32, 32, 32] }), corner), /my-model.json: neck: deconv neck: 3 up-sampling stages need an input stride divisible by 8, got 4/);
  refuses(edit((c) => (c.neck.channels = [8, 8, 8, 8, 8, 8])), /neck.channels must have 1 to 5 entries, got 6/);
  refuses(edit((c) => (c.neck.skips = 'yes')), /neck.skips must be true or false, got "yes"/);
  refuses(edit((c) => (c.neck = { type: 'deconv', channels: [32], skips: true }), corner), /deconv neck: skips need a single-stack backbone that exposes its levels \(resnet\)/);
});

test('decode settings: ranges, odd kernel, CornerNet-only fields', () => {
  refuses(edit((c) => (c.decode = { k: 0 })), /decode.k must be an integer in \[1, 10000\], got 0/);
  refuses(edit((c) => (c.decode = { kernel: 4 })), /decode.kernel must be odd/);
  refuses(edit((c) => (c.decode = { aeThreshold: 0.5 })), /decode.aeThreshold: applies to cornernet models only/);
  refuses(edit((c) => (c.decode = { topK: 5 })), /decode.topK: unknown field/);
  refuses(edit((c) => (c.decode = { aeThreshold: -1 }), corner), /decode.aeThreshold must be a number in \[0, 1000000\], got -1/);
  const c = validateConfig(edit((c) => delete c.decode, corner), 'x.json');
  assert.equal(c.decode, { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' });
  assert.equal(decodeSettings({ ...c, decode: undefined }), { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' });
  refuses(edit((c) => (c.decode = { pairScore: 'geometric' })), /decode.pairScore: applies to cornernet models only/);
  refuses(edit((c) => (c.decode = { pairScore: 'max' }), corner), /decode.pairScore must be one of 'mean', 'geometric', got "max"/);
  assert.equal(validateConfig(edit((c) => (c.decode = { pairScore: 'geometric' }), corner), 'x.json').decode?.pairScore, 'geometric');
});

test('parseConfigJson names the file when the text is not JSON', () => {
  assert.throws(() => parseConfigJson('{"format": ', 'broken.json'), /broken.json: model config is not valid JSON/);
  assert.is(parseConfigJson(JSON.stringify(base()), 'ok.json').name, 'centernet-tiny');
});

test('a user-composed architecture: CenterNet on one small stride-8 squeeze hourglass, defaults filled in', () => {
  const raw = {
    format: 'anchorless-model/1',
    name: 'my-squeeze-centernet',
    detector: 'centernet',
    backbone: { type: 'squeeze-hourglass', stacks: 1, stemChannels: 16, channels: [32, 32, 64], modules: [1, 1, 2], cnvChannels: 32 },
    head: { type: 'centernet', headChannels: 32 },
    numClasses: 1,
    labels: ['widget'],
    inputSize: [64, 96],
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  };
  const config = validateConfig(raw, 'user.json');
  assert.equal(config.backbone, { type: 'squeeze-hourglass', stacks: 1, stemChannels: 16, stemResiduals: 2, channels: [32, 32, 64], modules: [1, 1, 2], cnvChannels: 32 });
  assert.equal(config.head, { type: 'centernet', headChannels: 32, headKernel: 3 });
  assert.equal(config.decode, { k: 100, kernel: 3 });
  const graph = buildGraph(config);
  assert.is(graph.stride, 8);
  assert.is(graph.sizeMultiple, 32); // stride 8 x 2^2 levels
  const shapes = inferShapes(graph, 64, 96);
  assert.equal(shapes.get(graph.heads.hm[0]), { h: 8, w: 12, c: 1 });
});

test('registerPart refuses duplicates and odd names', () => {
  assert.throws(() => registerPart('backbones', 'resnet', registry.backbones.resnet), /already registered/);
  assert.throws(() => registerPart('necks', 'My Neck', registry.necks.deconv), /lower-case/);
});

test.run();
