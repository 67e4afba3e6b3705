// The demo: decode the picked or dropped image with the browser's own decoder, detect, draw the
// labelled boxes, show the time and the kernel build. Imports the package's browser entry as files
// (no bundler): dist/runtime/index.js fetches its .wasm and the default model beside itself.
import { init, ObjectDetector } from '../../dist/runtime/index.js';

const canvas = document.getElementById('canvas');
const stats = document.getElementById('stats');
const drop = document.getElementById('drop');
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];

const ready = (async () => {
  const kernels = await init();
  const detector = await ObjectDetector.create({ model: new URL('../../models/centernet-tiny-synth.safetensors', import.meta.url) });
  return { kernels, detector };
})();

async function show(blob) {
  const { kernels, detector } = await ready;
  const bitmap = await createImageBitmap(blob);
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const start = performance.now();
  const detections = await detector.detect(pixels);
  const ms = performance.now() - start;
  ctx.lineWidth = 2;
  ctx.font = '12px system-ui, sans-serif';
  for (const d of detections) {
    const { xmin, ymin, xmax, ymax } = d.box;
    const colour = COLOURS[d.classId % COLOURS.length];
    const text = `${d.label} ${d.score.toFixed(2)}`;
    ctx.strokeStyle = ctx.fillStyle = colour;
    ctx.strokeRect(xmin, ymin, xmax - xmin, ymax - ymin);
    ctx.fillRect(xmin, Math.max(0, ymin - 15), ctx.measureText(text).width + 6, 15);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, xmin + 3, Math.max(11, ymin - 4));
  }
  stats.textContent = `${detections.length} objects in ${ms.toFixed(1)} ms · kernels: ${kernels.variant === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'}`;
  // for tests and the curious: the numbers behind the drawing
  document.body.dataset.detections = JSON.stringify(detections);
  document.body.dataset.kernels = kernels.variant;
  document.body.dataset.ms = String(ms);
}

function fail(e) {
  stats.textContent = `error: ${e.message}`;
  document.body.dataset.error = e.message;
}

ready.then(() => (stats.textContent = 'ready: pick or drop an image'), fail);
document.getElementById('file').addEventListener('change', (e) => e.target.files[0] && show(e.target.files[0]).catch(fail));
drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) show(e.dataTransfer.files[0]).catch(fail);
});
