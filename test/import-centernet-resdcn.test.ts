// The centernet-resdcn importer family (runtime/import/families/centernet-resdcn.ts) on its own,
// independently of the importer core: its signature, the config read from the shapes, the key
// mapping of the full-width official key list (MANIFEST.json) onto paramSpecs with the (2, 3, 1, 0)
// transpose, a ResNet-101 key list made by torchvision's naming rules, and the reduced official
// checkpoint (PyTorch + DCNv2, test/fixtures/official/centernet-resdcn.pth) run through the
// runtime's execution plan against the PyTorch outputs of its case file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { centernetResdcn } from '../runtime/import/families/centernet-resdcn.js';
import { paramSpecs } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { readStateDict, tensorToFloat32 } from '../runtime/weights/torch/index.js';
import { parseSafetensors, readTensor } from '../runtime/weights/safetensors.js';
import { loadKernels } from './helpers/kernels.js';

const official = (file: string) => fileURLToPath(new URL(`./fixtures/official/${file}`, import.meta.url));
const manifest = JSON.parse(readFileSync(official('MANIFEST.json'), 'utf8')) as {
  families: Record<string, { official: { keys: [string, number[], string][] } }>;
};
const keysOf = (family: string) => new Map(manifest.families[family].official.keys.filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, s]) => [k, s] as const));
const transposed = (s: readonly number[]) => (s.length === 4 ? [s[2], s[3], s[1], s[0]] : [...s]);

test('signature: the resdcn key list matches, the other families\' do not', () => {
  assert.ok(centernetResdcn.matches(keysOf('centernet-resdcn')));
  for (const other of Object.keys(manifest.families).filter((f) => f !== 'centernet-resdcn')) {
    assert.not.ok(centernetResdcn.matches(keysOf(other)), other);
  }
});

test('config from the full-width shapes: the centernet-resdcn18 preset\'s architecture, 80 COCO classes, 512 x 512', () => {
  const config = centernetResdcn.config(keysOf('centernet-resdcn'), 'ctdet_coco_resdcn18.pth');
  const want = preset('centernet-resdcn18');
  assert.equal([config.backbone, config.neck, config.head], [want.backbone, want.neck, want.head]);
  assert.is(config.numClasses, 80);
  assert.is(config.labels[0], 'person');
  assert.equal(config.inputSize, [512, 512]);
  assert.equal(config.decode, { k: 100, kernel: 3 });
});

test('rename: every official key maps to a distinct parameter of that graph, shapes (2, 3, 1, 0)-transposed, and every parameter is filled', () => {
  const keys = keysOf('centernet-resdcn');
  const specs = new Map(paramSpecs(buildGraph(centernetResdcn.config(keys, 'test'))).map((s) => [s.name, s.shape]));
  const used = new Set<string>();
  for (const [key, shape] of keys) {
    const name = centernetResdcn.rename(key);
    assert.type(name, 'string', `${key} maps to a parameter`);
    assert.ok(specs.has(name!), `${key} -> ${name} is a parameter of the graph`);
    assert.not.ok(used.has(name!), `${name} is filled once`);
    used.add(name!);
    assert.equal(specs.get(name!), transposed(shape), `${key} [${shape}] -> ${name}`);
  }
  assert.is(used.size, specs.size);
  // the regular mapping the neck's node names were chosen for
  assert.is(centernetResdcn.rename('deconv_layers.7.running_var'), 'deconv_layers.6.bn.running_var');
  assert.is(centernetResdcn.rename('deconv_layers.16.weight'), 'deconv_layers.15.bn.weight');
  assert.is(centernetResdcn.rename('layer3.0.downsample.1.bias'), 'layer3.0.downsample.bn.bias');
  assert.is(centernetResdcn.rename('bn1.running_mean'), 'conv1.bn.running_mean');
  assert.is(centernetResdcn.rename('hm.2.bias'), 'hm.0.1.bias');
  for (const unknown of ['deconv_layers.2.weight', 'deconv_layers.3.bias', 'layer1.0.bn1.foo', 'fc.weight']) assert.is(centernetResdcn.rename(unknown), undefined, unknown);
});

/** torchvision's ResNet-101 state dict shapes (Bottleneck, [3, 4, 23, 3]) + resnet_dcn's neck and heads. */
function resdcn101Keys(classes: number): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  const bn = (p: string, c: number) => ['weight', 'bias', 'running_mean', 'running_var'].forEach((s) => keys.set(`${p}.${s}`, [c]));
  keys.set('conv1.weight', [64, 3, 7, 7]);
  bn('bn1', 64);
  let inplanes = 64;
  [3, 4, 23, 3].forEach((blocks, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < blocks; i++) {
      const p = `layer${stage + 1}.${i}`;
      keys.set(`${p}.conv1.weight`, [planes, inplanes, 1, 1]);
      bn(`${p}.bn1`, planes);
      keys.set(`${p}.conv2.weight`, [planes, planes, 3, 3]);
      bn(`${p}.bn2`, planes);
      keys.set(`${p}.conv3.weight`, [planes * 4, planes, 1, 1]);
      bn(`${p}.bn3`, planes * 4);
      if (i === 0) {
        keys.set(`${p}.downsample.0.weight`, [planes * 4, inplanes, 1, 1]);
        bn(`${p}.downsample.1`, planes * 4);
      }
      inplanes = planes * 4;
    }
  });
  [256, 128, 64].forEach((planes, i) => {
    const d = `deconv_layers.${6 * i}`;
    keys.set(`${d}.weight`, [planes, inplanes, 3, 3]);
    keys.set(`${d}.bias`, [planes]);
    keys.set(`${d}.conv_offset_mask.weight`, [27, inplanes, 3, 3]);
    keys.set(`${d}.conv_offset_mask.bias`, [27]);
    bn(`deconv_layers.${6 * i + 1}`, planes);
    keys.set(`deconv_layers.${6 * i + 3}.weight`, [planes, planes, 4, 4]);
    bn(`deconv_layers.${6 * i + 4}`, planes);
    inplanes = planes;
  });
  for (const [head, c] of [['hm', classes], ['wh', 2], ['reg', 2]] as const) {
    keys.set(`${head}.0.weight`, [64, 64, 3, 3]);
    keys.set(`${head}.0.bias`, [64]);
    keys.set(`${head}.2.weight`, [c, 64, 1, 1]);
    keys.set(`${head}.2.bias`, [c]);
  }
  return keys;
}

test('ResNet-101 DCN (ctdet_coco_resdcn101.pth layout): bottleneck [3, 4, 23, 3] read from the shapes, every key mapped', () => {
  const keys = resdcn101Keys(80);
  assert.ok(centernetResdcn.matches(keys));
  const config = centernetResdcn.config(keys, 'ctdet_coco_resdcn101.pth');
  const want = preset('centernet-resdcn101');
  assert.equal([config.backbone, config.neck, config.head], [want.backbone, want.neck, want.head]);
  const specs = new Map(paramSpecs(buildGraph(config)).map((s) => [s.name, s.shape]));
  const names = [...keys].map(([key, shape]) => {
    const name = centernetResdcn.rename(key)!;
    assert.equal(specs.get(name), transposed(shape), `${key} -> ${name}`);
    return name;
  });
  assert.is(new Set(names).size, specs.size);
  // a narrower variant with 20 classes: the class count from hm's last conv
  assert.is(centernetResdcn.config(resdcn101Keys(20), 'voc.pth').numClasses, 20);
});

test('config errors name the checkpoint, the family and the key', () => {
  const keys = new Map(keysOf('centernet-resdcn'));
  keys.delete('layer4.0.conv1.weight');
  assert.throws(() => centernetResdcn.config(keys, 'x.pth'), /x\.pth: centernet-resdcn: expected the four ResNet stages layer1 \.\. layer4, found layer1, layer2, layer3/);
  const five = new Map(keysOf('centernet-resdcn'));
  five.set('deconv_layers.0.weight', [256, 512, 5, 5]);
  assert.throws(() => centernetResdcn.config(five, 'y.pth'), /y\.pth: centernet-resdcn: key deconv_layers\.0\.weight has a 5x5 kernel/);
});

test('the reduced official checkpoint (PyTorch, DCNv2) imported by this family runs in the execution plan: hm, wh, reg within 1e-4 of PyTorch', async () => {
  const kn = await loadKernels();
  const dict = readStateDict(new Uint8Array(readFileSync(official('centernet-resdcn.pth'))), 'centernet-resdcn.pth');
  const shapes = new Map([...dict.tensors].filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, t]) => [k, t.shape] as const));
  const config = centernetResdcn.config(shapes, 'centernet-resdcn.pth');
  assert.equal(config.backbone.channels, [8, 16, 32, 64]);
  assert.equal(config.neck!.channels, [32, 16, 8]);
  const weights = new Map<string, Float32Array>();
  for (const [key, shape] of shapes) {
    const data = tensorToFloat32(dict.tensors.get(key)!, key);
    weights.set(centernetResdcn.rename(key)!, shape.length === 4 ? transpose2310(data, shape) : data);
  }
  const caseFile = parseSafetensors(new Uint8Array(readFileSync(official('centernet-resdcn.case.safetensors'))), 'case');
  const input = caseFile.tensors.get('input')!.shape; // [1, 3, H, W], BGR as the official model reads it
  const [h, w] = [input[2], input[3]];
  const graph = buildGraph(config);
  const plan = ExecutionPlan.build(kn, graph, weights, inferenceHeads(graph), h, w);
  plan.run(nchwToNhwc(readTensor(caseFile, 'input'), 3, h, w));
  for (const head of ['hm', 'wh', 'reg']) {
    const out = plan.output(head);
    const [, oh, ow, c] = out.shape;
    const want = readTensor(caseFile, head);
    const got = nchwToNhwc(want, c, oh, ow); // layout only
    let scale = 0;
    let err = 0;
    const ours = out.data;
    for (let i = 0; i < got.length; i++) {
      scale = Math.max(scale, Math.abs(got[i]));
      err = Math.max(err, Math.abs(ours[i] - got[i]));
    }
    assert.ok(err / scale <= 1e-4, `${head}: max error ${err} relative to the largest magnitude ${scale} is ${(err / scale).toExponential(2)}`);
  }
  plan.release();
});

function transpose2310(src: Float32Array, [a, b, c, d]: readonly number[]): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) for (let l = 0; l < d; l++) out[((k * d + l) * b + j) * a + i] = src[((i * b + j) * c + k) * d + l];
  return out;
}

function nchwToNhwc(src: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + ch] = src[(ch * h + y) * w + x];
  return out;
}

test.run();
