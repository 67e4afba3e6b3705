// Corner pooling spec (CornerNet), NHWC: x [n, h, w, c] -> out [n, h, w, c], a running max per column
// or row. Directions: 0 top = max over the rows at or below (scan bottom-up), 1 left = max over the
// columns at or to the right (scan right-to-left), 2 bottom = max over the rows at or above, 3 right
// = max over the columns at or to the left. out may alias x. NaN propagates along the scan.

export const CORNER_TOP = 0;
export const CORNER_LEFT = 1;
export const CORNER_BOTTOM = 2;
export const CORNER_RIGHT = 3;

export function cornerPoolNhwcScalar(x: usize, n: i32, h: i32, w: i32, c: i32, dir: i32, out: usize): void {
  const vertical = dir == CORNER_TOP || dir == CORNER_BOTTOM;
  const reverse = dir == CORNER_TOP || dir == CORNER_LEFT;
  const len = vertical ? h : w;
  const lines = vertical ? w : h;
  // element offset (in floats) between neighbours along the scan, and between scan lines
  const step: usize = vertical ? <usize>w * c : <usize>c;
  const lineStep: usize = vertical ? <usize>c : <usize>w * c;
  for (let b = 0; b < n; b++) {
    const image = <usize>b * h * w * c;
    for (let line = 0; line < lines; line++) {
      for (let ch = 0; ch < c; ch++) {
        let run: f32 = -Infinity;
        for (let i = 0; i < len; i++) {
          const pos = reverse ? len - 1 - i : i;
          const off = (image + <usize>line * lineStep + <usize>pos * step + ch) << 2;
          run = max<f32>(run, load<f32>(x + off));
          store<f32>(out + off, run);
        }
      }
    }
  }
}

/**
 * Fused pair of a CornerNet module: out = pool(a, dirA) + pool(b, dirB), dirA vertical (top or
 * bottom), dirB horizontal (left or right). Spec: two scalar pools, the first into out and the
 * second into scratch [n, h, w, c], then a sum.
 */
export function cornerPoolPairAddNhwcScalar(
  a: usize, b: usize, n: i32, h: i32, w: i32, c: i32, dirA: i32, dirB: i32, scratch: usize, out: usize,
): void {
  cornerPoolNhwcScalar(a, n, h, w, c, dirA, out);
  cornerPoolNhwcScalar(b, n, h, w, c, dirB, scratch);
  const total = <usize>n * h * w * c;
  for (let i: usize = 0; i < total; i++) {
    store<f32>(out + (i << 2), load<f32>(out + (i << 2)) + load<f32>(scratch + (i << 2)));
  }
}
