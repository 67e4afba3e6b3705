// The image <-> input transforms against the official constructions: get_affine_transform's
// three point pairs solved as cv2.getAffineTransform does, and crop_image's border arithmetic;
// box mapping round trips and clipping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boxToInput, boxToOriginal, centerNetTransform, paddedTransform } from '../runtime/image/transform.js';
import { rng } from './helpers/random.js';

type P = [number, number];

/** CenterNet's get_affine_transform(center, scale, rot = 0, output_size) as a 2 x 3 matrix. */
function officialAffine(center: P, s: number, outW: number, outH: number): number[][] {
  const third = (a: P, b: P): P => [b[0] - (a[1] - b[1]), b[1] + (a[0] - b[0])];
  const src: P[] = [center, [center[0], center[1] - s / 2]];
  const dst: P[] = [[outW / 2, outH / 2], [outW / 2, outH / 2 - outW / 2]];
  src.push(third(src[0], src[1]));
  dst.push(third(dst[0], dst[1]));
  // Solve [x y 1] m = x' and = y' for the three pairs (Cramer's rule).
  const a = src.map(([x, y]) => [x, y, 1]);
  const det = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(a);
  return [0, 1].map((axis) => [0, 1, 2].map((col) => det(a.map((row, r) => row.map((v, c) => (c === col ? dst[r][axis] : v)))) / d));
}

test('centerNetTransform equals get_affine_transform(centre, max(h, w), 0, input size)', () => {
  for (const [w, h, inW, inH] of [[640, 480, 512, 512], [333, 500, 512, 512], [100, 100, 384, 384], [1242, 375, 1280, 384], [7, 3, 16, 8]]) {
    const m = officialAffine([w / 2, h / 2], Math.max(w, h), inW, inH);
    const t = centerNetTransform(w, h, inW, inH);
    const want = [m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2]];
    const got = [t.scale, 0, t.offsetX, 0, t.scale, t.offsetY];
    want.forEach((v, i) => assert.ok(Math.abs(v - got[i]) < 1e-9 * Math.max(1, Math.abs(v)), `${w}x${h} -> ${inW}x${inH}: [${got}] vs [${want}]`));
  }
});

test('centerNetTransform with a test scale: official resize by s, then warp with centre new/2 and the original max side', () => {
  for (const [w, h, s] of [[640, 480, 0.5], [640, 480, 1.5], [200, 100, 0.75]]) {
    const m = officialAffine([(w * s) / 2, (h * s) / 2], Math.max(w, h), 512, 512); // w * s is whole here
    const t = centerNetTransform(w, h, 512, 512, s);
    for (const [x, y] of [[0, 0], [w, h], [13, 77]]) {
      const [rx, ry] = [x * s, y * s];
      const want = [m[0][0] * rx + m[0][1] * ry + m[0][2], m[1][0] * rx + m[1][1] * ry + m[1][2]];
      const got = boxToInput({ xmin: x, ymin: y, xmax: x, ymax: y }, t);
      assert.ok(Math.abs(got.xmin - want[0]) < 1e-9 && Math.abs(got.ymin - want[1]) < 1e-9, `${w}x${h} s=${s} point (${x}, ${y})`);
    }
  }
});

test("paddedTransform equals CornerNet's (new | 127) size and crop_image border", () => {
  const r = rng(7);
  for (let n = 0; n < 50; n++) {
    const w = 1 + Math.floor(r() * 900);
    const h = 1 + Math.floor(r() * 900);
    const s = [0.5, 0.75, 1, 1.25, 1.5][n % 5];
    const newW = Math.floor(w * s);
    const newH = Math.floor(h * s);
    if (newW < 1 || newH < 1) continue;
    const inW = newW | 127;
    const inH = newH | 127;
    // crop_image(image, center = (newH // 2, newW // 2), size = (inH, inW)); the image fits, so x0 = y0 = 0.
    const borderLeft = Math.floor(inW / 2) - Math.floor(newW / 2);
    const borderTop = Math.floor(inH / 2) - Math.floor(newH / 2);
    const t = paddedTransform('test', w, h, { testScale: s });
    assert.equal([t.inputWidth, t.inputHeight, t.offsetX, t.offsetY, t.scale], [inW, inH, borderLeft, borderTop, s]);
    assert.is(t.inputWidth % 128, 127);
  }
  // CenterNet keep_res: (new | 31) + 1, a multiple of 32 above the side.
  const keep = paddedTransform('test', 500, 375, { sizeMask: 31, sizeAdd: 1 });
  assert.equal([keep.inputWidth, keep.inputHeight, keep.offsetX, keep.offsetY], [512, 384, 6, 5]);
});

test('boxes round-trip original -> input -> original within 1e-4, for both transforms', () => {
  const r = rng(11);
  const transforms = [centerNetTransform(640, 480, 512, 512), centerNetTransform(333, 777, 384, 384, 1.25), paddedTransform('test', 640, 480, { testScale: 0.75 }), paddedTransform('test', 51, 29, {})];
  for (const t of transforms) {
    for (let n = 0; n < 20; n++) {
      const x = r() * t.width;
      const y = r() * t.height;
      const box = { xmin: x, ymin: y, xmax: x + r() * 50, ymax: y + r() * 50 };
      const back = boxToOriginal(boxToInput(box, t), t);
      for (const key of ['xmin', 'ymin', 'xmax', 'ymax'] as const) assert.ok(Math.abs(back[key] - box[key]) < 1e-4, `${key}: ${back[key]} vs ${box[key]}`);
    }
  }
});

test('boxToOriginal with clip keeps boxes inside the image (CornerNet rescale_dets)', () => {
  const t = paddedTransform('test', 100, 50, {}); // offset (63 - 50, 63 - 25) = (13, 38)
  assert.equal([t.offsetX, t.offsetY], [13, 38]);
  assert.equal(boxToOriginal({ xmin: 3, ymin: 30, xmax: 200, ymax: 60 }, t, true), { xmin: 0, ymin: 0, xmax: 100, ymax: 22 });
  assert.equal(boxToOriginal({ xmin: 3, ymin: 30, xmax: 200, ymax: 60 }, t), { xmin: -10, ymin: -8, xmax: 187, ymax: 22 });
});

test.run();
