// Corner pooling (CornerNet), NHWC, vectorised: x [n, h, w, c] -> out [n, h, w, c]. Same contract as
// corner-scalar.ts (the spec). top/bottom run over whole rows (w * c contiguous floats: one vector
// max per 4 floats); left/right keep the running max of 16 (then 4, then 1) channels in registers
// while walking along the row. out may alias x.
import { CORNER_TOP, CORNER_LEFT, CORNER_BOTTOM } from './corner-scalar';
import { copyF32 } from '../elementwise/copy';

export function cornerPoolNhwc(x: usize, n: i32, h: i32, w: i32, c: i32, dir: i32, out: usize): void {
  const rowFloats = w * c;
  const rowBytes = <usize>rowFloats << 2;
  for (let b = 0; b < n; b++) {
    const image = <usize>b * h * rowBytes;
    if (dir == CORNER_TOP || dir == CORNER_BOTTOM) {
      // out[first] = x[first]; out[y] = max(x[y], out[previous y]) along the scan
      const top = dir == CORNER_TOP;
      const first = top ? h - 1 : 0;
      copyF32(out + image + <usize>first * rowBytes, x + image + <usize>first * rowBytes, rowFloats);
      for (let i = 1; i < h; i++) {
        const y = top ? h - 1 - i : i;
        const prev = top ? y + 1 : y - 1;
        maxRows(x + image + <usize>y * rowBytes, out + image + <usize>prev * rowBytes, out + image + <usize>y * rowBytes, rowFloats);
      }
    } else {
      for (let y = 0; y < h; y++) {
        const row = image + <usize>y * rowBytes;
        runAlongRow(x + row, 0, out + row, w, c, dir == CORNER_LEFT, false);
      }
    }
  }
}

/** out[i] = max(a[i], b[i]) over n floats. */
// @ts-ignore: decorator
@inline
export function maxRows(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const r0 = f32x4.max(v128.load(a + o), v128.load(b + o));
    const r1 = f32x4.max(v128.load(a + o, 16), v128.load(b + o, 16));
    const r2 = f32x4.max(v128.load(a + o, 32), v128.load(b + o, 32));
    const r3 = f32x4.max(v128.load(a + o, 48), v128.load(b + o, 48));
    v128.store(out + o, r0);
    v128.store(out + o, r1, 16);
    v128.store(out + o, r2, 32);
    v128.store(out + o, r3, 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, max<f32>(load<f32>(a + o), load<f32>(b + o)));
  }
}

/**
 * Running max along one row of w pixels of c channels: right-to-left when `reverse` (left pooling),
 * else left-to-right (right pooling). With `addTo` set, out = addend + running max, where addend
 * (a row of the same shape) may be out itself; else out = running max.
 */
// @ts-ignore: decorator
@inline
export function runAlongRow(x: usize, addend: usize, out: usize, w: i32, c: i32, reverse: bool, addTo: bool): void {
  const pixelBytes = <usize>c << 2;
  const start: usize = reverse ? <usize>(w - 1) * pixelBytes : 0;
  const step: isize = reverse ? -<isize>pixelBytes : <isize>pixelBytes;
  const ninf = f32x4.splat(-Infinity);
  let ch = 0;
  for (; ch + 16 <= c; ch += 16) {
    let off = start + (<usize>ch << 2);
    let r0 = ninf;
    let r1 = ninf;
    let r2 = ninf;
    let r3 = ninf;
    for (let i = 0; i < w; i++) {
      r0 = f32x4.max(r0, v128.load(x + off));
      r1 = f32x4.max(r1, v128.load(x + off, 16));
      r2 = f32x4.max(r2, v128.load(x + off, 32));
      r3 = f32x4.max(r3, v128.load(x + off, 48));
      if (addTo) {
        v128.store(out + off, f32x4.add(v128.load(addend + off), r0));
        v128.store(out + off, f32x4.add(v128.load(addend + off, 16), r1), 16);
        v128.store(out + off, f32x4.add(v128.load(addend + off, 32), r2), 32);
        v128.store(out + off, f32x4.add(v128.load(addend + off, 48), r3), 48);
      } else {
        v128.store(out + off, r0);
        v128.store(out + off, r1, 16);
        v128.store(out + off, r2, 32);
        v128.store(out + off, r3, 48);
      }
      off += step;
    }
  }
  for (; ch + 4 <= c; ch += 4) {
    let off = start + (<usize>ch << 2);
    let r = ninf;
    for (let i = 0; i < w; i++) {
      r = f32x4.max(r, v128.load(x + off));
      v128.store(out + off, addTo ? f32x4.add(v128.load(addend + off), r) : r);
      off += step;
    }
  }
  for (; ch < c; ch++) {
    let off = start + (<usize>ch << 2);
    let r: f32 = -Infinity;
    for (let i = 0; i < w; i++) {
      r = max<f32>(r, load<f32>(x + off));
      store<f32>(out + off, addTo ? load<f32>(addend + off) + r : r);
      off += step;
    }
  }
}

/**
 * Fused pair of a CornerNet module: out = pool(a, dirA) + pool(b, dirB), dirA top or bottom, dirB
 * left or right, in one pass over a, b and out: the vertical running max lives in `scratch`, one row
 * of w * c floats; each out row is that row plus the horizontal running max of b's row. out may
 * alias a or b (every element is read before it is written).
 */
export function cornerPoolPairAddNhwc(
  a: usize, b: usize, n: i32, h: i32, w: i32, c: i32, dirA: i32, dirB: i32, scratch: usize, out: usize,
): void {
  const rowFloats = w * c;
  const rowBytes = <usize>rowFloats << 2;
  const top = dirA == CORNER_TOP;
  const reverse = dirB == CORNER_LEFT;
  for (let img = 0; img < n; img++) {
    const image = <usize>img * h * rowBytes;
    for (let i = 0; i < h; i++) {
      const y = top ? h - 1 - i : i;
      const row = image + <usize>y * rowBytes;
      if (i == 0) copyF32(scratch, a + row, rowFloats);
      else maxRows(a + row, scratch, scratch, rowFloats);
      runAlongRow(b + row, scratch, out + row, w, c, reverse, true);
    }
  }
}
