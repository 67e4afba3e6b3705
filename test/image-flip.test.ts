// Horizontal mirror of NHWC tensors (the flip-test input and feature maps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flipHorizontal } from '../runtime/image/flip.js';

test('flipHorizontal mirrors columns, keeps channels together, leaves the input alone; twice is identity', () => {
  // [1, 2, 3, 2]: value = 100 y + 10 x + c.
  const data = Float32Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * (Math.floor(i / 2) % 3) + (i % 2));
  const t = { data, shape: [1, 2, 3, 2] };
  const copy = data.slice();
  const f = flipHorizontal(t);
  assert.equal(f.shape, [1, 2, 3, 2]);
  assert.equal(Array.from(f.data), [20, 21, 10, 11, 0, 1, 120, 121, 110, 111, 100, 101]);
  assert.equal(t.data, copy);
  assert.equal(flipHorizontal(f).data, data);
  assert.equal(Array.from(flipHorizontal({ data: Float32Array.from([1, 2, 3]), shape: [1, 3, 1] }).data), [3, 2, 1]);
});

test('flipHorizontal rejects non-NHWC shapes and mismatched data', () => {
  assert.throws(() => flipHorizontal({ data: new Float32Array(4), shape: [2, 2] }), /t must be NHWC/);
  assert.throws(() => flipHorizontal({ data: new Float32Array(5), shape: [1, 2, 2, 1] }), /t\.data has 5 elements but shape \[1,2,2,1\] needs 4/);
});

test.run();
