// The closeness check of the op suites: same shape, and max relative error with |expected| floored
// at 1 (their outputs are O(1..100), so it is also an absolute bound near 0) within tol.
import * as assert from 'uvu/assert';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { maxRelError } from './random.js';

export function expectCloseTensor(label: string, got: Tensor, want: Tensor, tol = 1e-4): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  const err = maxRelError(got.data, want.data, 1);
  assert.ok(err <= tol, `${label}: max relative error ${err} > ${tol}`);
}
