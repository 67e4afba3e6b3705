// The check the threaded-detector suites share: a detector's infer() gives exactly another's
// outputs (same heads, shapes and values bit for bit) on one random normalised NCHW input.
import * as assert from 'uvu/assert';
import type { ObjectDetector } from '../../runtime/detector.js';
import { rng } from './random.js';

export async function assertSameInfer(got: ObjectDetector, reference: ObjectDetector, seed: number, what: string): Promise<void> {
  const [h, w] = reference.inputSize;
  const r = rng(seed);
  const input = { data: new Float32Array(h * w * 3).map(() => r() * 4 - 2), shape: [1, 3, h, w] };
  const want = await reference.infer(input, { layout: 'NCHW' });
  const out = await got.infer(input, { layout: 'NCHW' });
  assert.equal(Object.keys(out).sort(), Object.keys(want).sort());
  for (const name of Object.keys(want)) {
    assert.equal(out[name].shape, want[name].shape, name);
    assert.ok(out[name].data.every((v, i) => Object.is(v, want[name].data[i])), `${name}: ${what}, bit for bit`);
  }
}
