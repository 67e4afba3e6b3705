// Detect objects in a PNG with the bundled default model, in Node, from an inference-only install
// (`npm install anchorless`: no TensorFlow.js, no sharp, no native code).
// Usage: node detect.mjs [image.png] [model.safetensors]   -> JSON { runtime, kernels, ms, detections }
import { readFile } from 'node:fs/promises';
import { decodePng, init, ObjectDetector } from 'anchorless';

const [imageFile = new URL('../../models/sample.png', import.meta.url), modelFile] = process.argv.slice(2);
const kernels = await init();
const detector = await ObjectDetector.create(modelFile ? { model: modelFile } : {});
const image = await decodePng(await readFile(imageFile));
const start = performance.now();
const detections = await detector.detect(image);
const ms = performance.now() - start;
detector.close();
console.log(JSON.stringify({ runtime: `node ${process.version}`, kernels: kernels.variant, ms, detections }));
