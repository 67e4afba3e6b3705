// Run by test/runtimes/deno-webgpu-trainer.test.ts in Deno (not in Node): the trainer (the built
// dist/, as a package user's Deno imports it) on Deno's own navigator.gpu, a WebGPU implementation
// other than the Dawn that Node uses (wgpu), against the cpu backend in the same process: one
// training step's loss and gradients per preset, then one Adam update (the fused kernel of
// trainer/webgpu-kernels/adam.ts) against its spec on the same numbers. Prints one JSON line.
const dist = new URL('../../dist/', import.meta.url).href;
const { selectBackend } = await import(`${dist}trainer/backend.js`);
const { preset } = await import(`${dist}runtime/model/presets.js`);
const { buildGraph } = await import(`${dist}runtime/model/registry.js`);
const { inferShapes } = await import(`${dist}runtime/model/graph.js`);
const { initParams, trainableNames } = await import(`${dist}trainer/model/params.js`);
const { shardGradients } = await import(`${dist}trainer/step.js`);
const { applyAdam, createAdam } = await import(`${dist}trainer/optimizer.js`);
const { adamUpdate } = await import(`${dist}trainer/adam-kernel.js`);
const { centerNetTargets } = await import(`${dist}trainer/targets/centernet-targets.js`);
const { cornerNetTargets } = await import(`${dist}trainer/targets/cornernet-targets.js`);
const { concatTargets } = await import(`${dist}trainer/data/batches.js`);

/** The presets and inputs: both -tiny, and ResDCN-18 (deformable convs, deconvolutions) at 1/8 width. */
const CASES = { 'centernet-tiny': 32, 'cornernet-tiny': 64, 'centernet-resdcn18': 64 };
const narrowed = (v, key = '') =>
  typeof v === 'number' ? (/channels$/i.test(key) ? Math.max(4, Math.round(v / 8)) : v)
  : Array.isArray(v) ? v.map((x) => narrowed(x, key))
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, narrowed(x, k)]))
  : v;

/** A smooth seeded image pair with two boxes each (random pixels make the corner heads' gradients rounding noise). */
function batchFor(config, outputSize) {
  const [h, w] = config.inputSize;
  const input = new Float32Array(2 * h * w * 3);
  for (let i = 0; i < input.length; i++) {
    const c = i % 3;
    const x = Math.floor(i / 3) % w;
    const y = Math.floor(i / (3 * w)) % h;
    const b = Math.floor(i / (3 * w * h));
    input[i] = Math.sin(0.3 * x + c) * Math.cos(0.2 * y + b);
  }
  const make = config.detector === 'cornernet' ? cornerNetTargets : centerNetTargets;
  const targets = [0, 1].map((b) => make({ boxes: [[2 + b, 3, w * 0.6, h * 0.7], [w * 0.4, h * 0.3, w - 2, h - 3 - b]], classIds: [0, 2] }, { inputSize: [h, w], outputSize, numClasses: 3 }));
  return { input, shape: [2, h, w, 3], targets: concatTargets(targets), objects: [] };
}

async function stepOn(backend, config) {
  const { tf, adapter } = await selectBackend(backend, { log: () => {} });
  const graph = buildGraph(config);
  const [h, w] = config.inputSize;
  const hm = inferShapes(graph, h, w).get(Object.values(graph.heads)[0][0]);
  const outputSize = [hm.h, hm.w];
  const params = initParams(tf, graph, 11);
  const { grads, parts } = await shardGradients(tf, graph, params, batchFor(config, outputSize), config, outputSize);
  const names = trainableNames(params);
  const values = await Promise.all(params.trainable.map((v) => grads[v.name].data()));
  // one Adam update from these gradients, against the kernel's spec on the same numbers
  const before = await Promise.all(params.trainable.map((v) => v.data()));
  const optimizer = createAdam(tf, 1e-3);
  const decayOf = (v) => (v.shape.length === 4 ? 1e-4 : 0);
  applyAdam(tf, optimizer, grads, decayOf);
  let adamError = 0;
  for (const [k, v] of params.trainable.entries()) {
    const got = await v.data();
    const want = [0, 1, 2].map(() => new Float32Array(got.length));
    const zeros = new Float32Array(got.length);
    adamUpdate(before[k], zeros, zeros, values[k], { beta1: 0.9, beta2: 0.999, oneMinusAccBeta1: Math.fround(1 - Math.fround(0.9)), oneMinusAccBeta2: Math.fround(1 - Math.fround(0.999)), epsilon: 1e-7, lr: 1e-3, decay: decayOf(v) }, ...want);
    for (let i = 0; i < got.length; i++) adamError = Math.max(adamError, Math.abs(got[i] - want[0][i]));
  }
  tf.dispose([...Object.values(grads), ...params.values.values()]);
  optimizer.dispose();
  return { adapter, loss: parts.total, grads: new Map(names.map((n, i) => [n, values[i]])), adamError };
}

const results = [];
let adapter;
for (const [name, size] of Object.entries(CASES)) {
  const config = preset(name, { numClasses: 3, inputSize: [size, size] });
  if (name === 'centernet-resdcn18') Object.assign(config, narrowed({ backbone: config.backbone, neck: config.neck, head: config.head }));
  const cpu = await stepOn('cpu', config);
  const gpu = await stepOn('webgpu', config);
  adapter = gpu.adapter;
  let modelScale = 0;
  for (const g of cpu.grads.values()) for (const v of g) modelScale = Math.max(modelScale, Math.abs(v));
  // each gradient's largest difference over the larger of its own scale and 1e-3 of the model's
  let worstGradient = 0;
  let worstName = '';
  for (const [param, g] of cpu.grads) {
    const o = gpu.grads.get(param);
    let diff = 0;
    let scale = 1e-3 * modelScale;
    for (let i = 0; i < g.length; i++) {
      diff = Math.max(diff, Math.abs(o[i] - g[i]));
      scale = Math.max(scale, Math.abs(g[i]));
    }
    if (!(diff / scale <= worstGradient)) [worstGradient, worstName] = [diff / scale, param];
  }
  results.push({ preset: name, gradients: cpu.grads.size, lossError: Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss), worstGradient, worstName, adamError: gpu.adamError, adamErrorCpu: cpu.adamError });
}
/** The weight-gradient kernels alone (the depthwise one is in no preset above), webgpu against cpu: max difference over the largest value. */
async function kernelError(kernel, x, dy, attrs) {
  const out = [];
  for (const backend of ['cpu', 'webgpu']) {
    const { tf } = await selectBackend(backend, { log: () => {} });
    const wave = (n, f) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f));
    const xs = tf.tensor4d(wave(x.reduce((a, b) => a * b, 1), 0.7), x);
    const dys = tf.tensor4d(wave(dy.reduce((a, b) => a * b, 1), 1.3), dy);
    const dw = tf.engine().runKernel(kernel, { x: xs, dy: dys }, attrs);
    out.push(await dw.data());
    tf.dispose([xs, dys, dw]);
  }
  let diff = 0;
  let scale = 0;
  out[0].forEach((v, i) => ((diff = Math.max(diff, Math.abs(v - out[1][i]))), (scale = Math.max(scale, Math.abs(v)))));
  return diff / scale;
}
const kernels = {
  Conv2DBackpropFilter: await kernelError('Conv2DBackpropFilter', [2, 17, 19, 24], [2, 9, 10, 40], { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 24, 40] }),
  DepthwiseConv2dNativeBackpropFilter: await kernelError('DepthwiseConv2dNativeBackpropFilter', [2, 17, 19, 24], [2, 17, 19, 48], { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 24, 2] }),
};

console.log(JSON.stringify({ kernels, runtime: typeof Deno === 'undefined' ? `node ${process.version}` : `deno ${Deno.version.deno}`, adapter, results }));
