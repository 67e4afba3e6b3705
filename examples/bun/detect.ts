// Detect objects in a PNG with the bundled default model, in Bun.
// Usage: bun detect.ts [image.png] [model.safetensors]   -> JSON { runtime, kernels, ms, detections }
import { decodePng, init, ObjectDetector } from 'anchorless';

const [imageFile = new URL('../../models/sample.png', import.meta.url).pathname, modelFile] = Bun.argv.slice(2);
const kernels = await init();
const detector = await ObjectDetector.create(modelFile ? { model: modelFile } : {});
const image = await decodePng(new Uint8Array(await Bun.file(imageFile).arrayBuffer()));
const start = performance.now();
const detections = await detector.detect(image);
const ms = performance.now() - start;
detector.close();
console.log(JSON.stringify({ runtime: `bun ${Bun.version}`, kernels: kernels.variant, ms, detections }));
