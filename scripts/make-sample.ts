// Writes models/sample.png (and models/sample.json, its ground truth), the bundled sample image `anchorless detect` uses without arguments:
// one synthetic scene (the same generator as the default model's training data), fixed seed.
// Usage: node --import tsx scripts/make-sample.ts
import { writeFile } from 'node:fs/promises';
import { renderScene } from '../trainer/data/synth-scene.js';
import { encodePngRGB } from '../trainer/data/image-io.js';
import { SHAPE_NAMES } from '../trainer/data/synth-shapes.js';

// the first seed from 20261121 on whose scene has at least 4 objects of 3 or more kinds
let seed = 20261121;
let scene = renderScene(seed, { size: 320, classes: [...SHAPE_NAMES], maxObjects: 6 });
while (scene.objects.length < 4 || new Set(scene.objects.map((o) => o.classId)).size < 3) {
  scene = renderScene(++seed, { size: 320, classes: [...SHAPE_NAMES], maxObjects: 6 });
}
await writeFile(new URL('../models/sample.png', import.meta.url), await encodePngRGB(scene));
// its ground truth, for tests of the bundled model ([x1, y1, x2, y2], continuous pixels)
const truth = scene.objects.map((o) => ({ label: SHAPE_NAMES[o.classId], box: o.box }));
await writeFile(new URL('../models/sample.json', import.meta.url), `${JSON.stringify({ seed, width: 320, height: 320, objects: truth }, null, 1)}\n`);
console.log(scene.objects.map((o) => `${SHAPE_NAMES[o.classId]} [${o.box.map((v) => v.toFixed(0))}]`).join('\n'));
