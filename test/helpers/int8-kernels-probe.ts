// Run by test/engine-int8-kernels.test.ts (Node with V8 flags) and test/runtimes/deno-int8.test.ts
// in an engine with relaxed SIMD: which kernels an int8 model takes (engine/int8-kernels.ts), from
// two fresh instances and from init()'s calibrated ones, and with a model path, the detector built
// on them and its detections of the sample. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { ObjectDetector } from '../../runtime/detector.js';
import { fasterInt8Kernels, int8BaseKernels } from '../../runtime/engine/int8-kernels.js';
import { int8LayoutFor } from '../../runtime/engine/int8-layout.js';
import { decodePng } from '../../runtime/image/png.js';
import { loadInt8Kernels } from '../../runtime/wasm/int8-loader.js';
import { chosenByCalibration, init, loadKernelInstance } from '../../runtime/wasm/loader.js';

const simd = await loadKernelInstance('simd');
const relaxed = await loadKernelInstance('relaxed');
const picked = await fasterInt8Kernels(simd, relaxed);
const layout = int8LayoutFor(await loadInt8Kernels(relaxed));
const kn = await init();
const base = await int8BaseKernels(kn);
const model = process.argv[2];
let detector: { variant: string; memoryBytes: number | undefined; baseMemoryBytes: number; labels: string[] } | undefined;
if (model) {
  const det = await ObjectDetector.create({ model: new Uint8Array(readFileSync(model)) });
  const png = await decodePng(new Uint8Array(readFileSync(new URL('../../models/sample.png', import.meta.url))));
  const found = await det.detect(png);
  detector = { variant: det.kernelVariant, memoryBytes: det.kernelMemoryBytes, baseMemoryBytes: base.kernels.exports.memory.buffer.byteLength, labels: found.map((d) => d.label).sort() };
  det.close();
}
console.log(JSON.stringify({
  picked: picked.kernels === relaxed ? 'relaxed' : picked.kernels === simd ? 'simd' : 'other',
  pickedReason: picked.reason,
  layout: layout.layout,
  initVariant: kn.variant,
  calibrated: chosenByCalibration(kn),
  base: base.kernels === kn ? 'init' : base.kernels.variant,
  baseReason: base.reason,
  detector,
}));
