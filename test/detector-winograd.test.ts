// The detector's winograd option: 'after-first-run' gives the direct convs' detections on the first
// call and the Winograd ones from the second on (each equal, to the last bit, to a detector created
// with false and with true); the default's calls all agree; a bad value is an Error.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { decodePng } from '../runtime/image/png.js';
import { loadKernels } from './helpers/kernels.js';
import { rejects } from './helpers/rejects.js';

const sample = fileURLToPath(new URL('../models/sample.png', import.meta.url));

test("winograd 'after-first-run': first detection = winograd false's, later ones = the default's, bit for bit", async () => {
  await loadKernels();
  const image = await decodePng(readFileSync(sample));
  const [late, direct, wino] = await Promise.all([
    ObjectDetector.create({ winograd: 'after-first-run' }),
    ObjectDetector.create({ winograd: false }),
    ObjectDetector.create(),
  ]);
  try {
    const d = await direct.detect(image);
    const w = await wino.detect(image);
    assert.ok(d.length >= 4, 'the sample has objects');
    assert.not.equal(d, w, 'direct and Winograd arithmetic differ somewhere in the last bits');
    assert.equal(await late.detect(image), d, 'first call: direct');
    assert.equal(await late.detect(image), w, 'second call: Winograd');
    assert.equal(await late.detect(image), w, 'third call: Winograd');
    assert.equal(await wino.detect(image), w, 'the default gives the same values on every call');
  } finally {
    for (const det of [late, direct, wino]) det.close();
  }
  await rejects(() => ObjectDetector.create({ winograd: 'later' as never }), /ObjectDetector\.create: winograd must be true, false or 'after-first-run', got "later"/);
});

test.run();
