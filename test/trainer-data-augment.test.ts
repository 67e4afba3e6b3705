// Training geometry: the drawn crop/scale/flip against the official formulas worked by hand
// (CenterNet's get_affine_transform solved from its three point pairs; CornerNet's random_crop +
// _resize_image step by step), continuous-coordinate flips, clipping and dropping of boxes, and
// the warped pixels: exact where the sampling is exact, and the drawn content where the boxes say.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { centredGeometry, getBorder, randomGeometry, RANDOM_SCALES, SACCADE_SCALES, transformBoxes, warpImage, type AxisAffine } from '../trainer/data/augment.js';
import { SampleRandom, sampleRandom } from '../trainer/data/sample-random.js';

type Pt = [number, number];

/** cv2.getAffineTransform: the 2x3 M with M [src_i; 1] = dst_i for three point pairs (Cramer's rule). */
function affineFrom3(src: Pt[], dst: Pt[]): number[][] {
  const det3 = (m: number[][]) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const A = src.map(([x, y]) => [x, y, 1]);
  const d = det3(A);
  return [0, 1].map((row) =>
    [0, 1, 2].map((col) => {
      const m = A.map((r, i) => r.map((v, j) => (j === col ? dst[i][row] : v)));
      return det3(m) / d;
    }),
  );
}

/** Official get_affine_transform(center, scale, rot = 0, [outW, outH]). */
function getAffineTransform(c: Pt, s: number, outW: number, outH: number): number[][] {
  const src0: Pt = c;
  const src1: Pt = [c[0], c[1] - s / 2];
  const dst0: Pt = [outW / 2, outH / 2];
  const dst1: Pt = [outW / 2, outH / 2 - outW / 2];
  // get_3rd_point(a, b) = b + (-(a - b).y, (a - b).x)
  const third = (a: Pt, b: Pt): Pt => [b[0] - (a[1] - b[1]), b[1] + (a[0] - b[0])];
  return affineFrom3([src0, src1, third(src0, src1)], [dst0, dst1, third(dst0, dst1)]);
}

const apply = (m: number[][], [x, y]: Pt): Pt => [m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2]];
const close = (a: number, b: number, what: string, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const clip = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** The official draws in the official order: scale, centre x, centre y, flip (p = 0.5). */
function officialDraws(seed: number, imageW: number, imageH: number, border = 128) {
  const r = new SampleRandom(seed);
  const scale = r.choice(RANDOM_SCALES);
  const bw = getBorder(border, imageW);
  const bh = getBorder(border, imageH);
  const cx = r.randint(bw, imageW - bw);
  const cy = r.randint(bh, imageH - bh);
  const flipped = r.random() < 0.5;
  return { scale, cx, cy, flipped };
}

test('get_border halves 128 until it leaves room on both sides', () => {
  // while size - b <= b: b //= 2  (b as border // i)
  assert.is(getBorder(128, 512), 128);
  assert.is(getBorder(128, 257), 128);
  assert.is(getBorder(128, 256), 64);
  assert.is(getBorder(128, 200), 64);
  assert.is(getBorder(128, 100), 32);
  assert.is(getBorder(128, 2), 0);
  assert.is(getBorder(128, 1), 0);
});

test('CenterNet draw: boxes equal get_affine_transform(c, s) applied by hand, flip as x -> W - x first', () => {
  const imageW = 640;
  const imageH = 480;
  const inW = 512;
  const inH = 512;
  const box = [250.5, 180.25, 330, 260.75];
  let flips = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const d = officialDraws(seed, imageW, imageH);
    const got = randomGeometry(new SampleRandom(seed), imageW, imageH, inW, inH, { mode: 'centernet' });
    assert.is(got.scale, d.scale);
    assert.equal(got.center, [d.cx, d.cy]);
    assert.is(got.flipped, d.flipped);
    // official: s = max(h, w) * scale; flipping mirrors image, centre and boxes before the warp
    const s = Math.max(imageW, imageH) * d.scale;
    const c: Pt = d.flipped ? [imageW - d.cx, d.cy] : [d.cx, d.cy];
    const M = getAffineTransform(c, s, inW, inH);
    const b = d.flipped ? [imageW - box[2], box[1], imageW - box[0], box[3]] : box;
    const p1 = apply(M, [b[0], b[1]]);
    const p2 = apply(M, [b[2], b[3]]);
    const want = [clip(p1[0], 0, inW), clip(p1[1], 0, inH), clip(p2[0], 0, inW), clip(p2[1], 0, inH)];
    const out = transformBoxes([box], got.affine, inW, inH);
    if (want[2] - want[0] > 0 && want[3] - want[1] > 0) {
      assert.is(out.boxes.length, 1, `seed ${seed}: box kept`);
      out.boxes[0].forEach((v, i) => close(v, want[i], `seed ${seed} coordinate ${i}`));
    } else {
      assert.is(out.boxes.length, 0, `seed ${seed}: box outside the crop dropped`);
    }
    if (d.flipped) flips++;
  }
  assert.ok(flips > 5 && flips < 35, `flip drawn ${flips}/40 times`);
});

test('CornerNet draw: boxes equal random_crop + _resize_image + flip worked step by step', () => {
  const imageW = 400;
  const imageH = 300;
  const inW = 255;
  const inH = 255;
  const box = [120, 80, 250.5, 190];
  for (let seed = 1; seed <= 40; seed++) {
    const d = officialDraws(seed, imageW, imageH);
    const got = randomGeometry(new SampleRandom(seed), imageW, imageH, inW, inH, { mode: 'cornernet' });
    // random_crop: a floor(view * scale) window centred on (ctx, cty), copied into a zero canvas
    const height = Math.floor(inH * d.scale);
    const width = Math.floor(inW * d.scale);
    const x0 = Math.max(d.cx - Math.floor(width / 2), 0);
    const y0 = Math.max(d.cy - Math.floor(height / 2), 0);
    const leftW = d.cx - x0;
    const topH = d.cy - y0;
    const croppedCtx = Math.floor(width / 2);
    const croppedCty = Math.floor(height / 2);
    let b = [box[0] - x0 + croppedCtx - leftW, box[1] - y0 + croppedCty - topH, box[2] - x0 + croppedCtx - leftW, box[3] - y0 + croppedCty - topH];
    // _resize_image to the input size scales each axis
    b = [(b[0] * inW) / width, (b[1] * inH) / height, (b[2] * inW) / width, (b[3] * inH) / height];
    // clip to the input (continuous: [0, W]), then flip in continuous coordinates
    b = [clip(b[0], 0, inW), clip(b[1], 0, inH), clip(b[2], 0, inW), clip(b[3], 0, inH)];
    if (d.flipped) b = [inW - b[2], b[1], inW - b[0], b[3]];
    const out = transformBoxes([box], got.affine, inW, inH);
    if (b[2] - b[0] > 0 && b[3] - b[1] > 0) {
      assert.is(out.boxes.length, 1, `seed ${seed}: box kept`);
      out.boxes[0].forEach((v, i) => close(v, b[i], `seed ${seed} coordinate ${i}`));
    } else {
      assert.is(out.boxes.length, 0, `seed ${seed}: box outside the crop dropped`);
    }
  }
});

/**
 * CornerNet-Saccade's sampler worked step by step as core/sample/cornernet_saccade.py writes it
 * (clip_detections, ref_scale with random_crop, scale_image_detections, crop_image_dets with
 * rand_center, crop_image's offset, the flip), drawing from the same stream in the same order.
 * Returns the draws and each box moved into the crop (before any clipping).
 */
function officialSaccade(seed: number, imageW: number, imageH: number, inW: number, inH: number, boxes: number[][]) {
  const r = new SampleRandom(seed);
  const dets = boxes.map((b) => [clip(b[0], 0, imageW - 1), clip(b[1], 0, imageH - 1), clip(b[2], 0, imageW - 1), clip(b[3], 0, imageH - 1)]).filter((b) => b[2] - b[0] > 0 && b[3] - b[1] > 0);
  let scale: number | undefined;
  let refInd: number | undefined;
  if (dets.length > 0 && !(r.random() > 0.7)) {
    refInd = r.randint(0, dets.length);
    const refHw = Math.max(dets[refInd][3] - dets[refInd][1], dets[refInd][2] - dets[refInd][0]);
    if (refHw > 96) scale = r.randint(96, 255) / refHw;
    else if (refHw > 32) scale = r.randint(32, 97) / refHw;
    else scale = r.randint(16, 33) / refHw;
  }
  scale ??= r.choice(SACCADE_SCALES);
  const width = Math.trunc(imageW * scale);
  const height = Math.trunc(imageH * scale);
  const ref = refInd === undefined ? undefined : dets[refInd].map((v) => v * scale!);
  const centered = r.random() > 0.5;
  let xc: number;
  if (width <= inW) xc = Math.floor(width / 2);
  else if (ref === undefined || !centered) {
    const xmin = ref ? Math.max(ref[2] - inW, 0) : 0;
    const xmax = ref ? Math.min(width - inW, ref[0]) : width - inW;
    xc = r.randint(Math.trunc(xmin), Math.trunc(xmax) + 1) + Math.floor(inW / 2);
  } else {
    const xmin = Math.max(Math.floor((ref[0] + ref[2]) / 2) - r.randint(0, 15), 0);
    const xmax = Math.min(Math.floor((ref[0] + ref[2]) / 2) + r.randint(0, 15), width - 1);
    xc = r.randint(Math.trunc(xmin), Math.trunc(xmax) + 1);
  }
  let yc: number;
  if (height <= inH) yc = Math.floor(height / 2);
  else if (ref === undefined || !centered) {
    const ymin = ref ? Math.max(ref[3] - inH, 0) : 0;
    const ymax = ref ? Math.min(height - inH, ref[1]) : height - inH;
    yc = r.randint(Math.trunc(ymin), Math.trunc(ymax) + 1) + Math.floor(inH / 2);
  } else {
    const ymin = Math.max(Math.floor((ref[1] + ref[3]) / 2) - r.randint(0, 15), 0);
    const ymax = Math.min(Math.floor((ref[1] + ref[3]) / 2) + r.randint(0, 15), height - 1);
    yc = r.randint(Math.trunc(ymin), Math.trunc(ymax) + 1);
  }
  const flipped = r.random() > 0.5;
  // crop_image's offset: the window starts at centre - size // 2
  const moved = boxes.map((b) => [b[0] * scale! - (xc - Math.floor(inW / 2)), b[1] * scale! - (yc - Math.floor(inH / 2)), b[2] * scale! - (xc - Math.floor(inW / 2)), b[3] * scale! - (yc - Math.floor(inH / 2))]);
  return { scale, refInd, centered, center: [xc, yc], flipped, moved, ref: ref && ref.map((v, i) => v - (i % 2 === 0 ? xc - Math.floor(inW / 2) : yc - Math.floor(inH / 2))) };
}

test('CornerNet-Saccade draw: boxes equal ref_scale + scale_image_detections + crop_image_dets + flip worked step by step', () => {
  const imageW = 640;
  const imageH = 480;
  const inW = 255;
  const inH = 255;
  // one object per attention size range (> 96, 32-96, < 32), and one outside the image
  const boxes = [[100, 60, 420, 380], [300.5, 200.25, 360, 260], [500, 400, 520.5, 412], [700, 10, 760, 40]];
  const counts = { ref: 0, centred: 0, flipped: 0, inside: 0 };
  for (let seed = 1; seed <= 200; seed++) {
    const want = officialSaccade(seed, imageW, imageH, inW, inH, boxes);
    const got = randomGeometry(new SampleRandom(seed), imageW, imageH, inW, inH, { mode: 'saccade' }, boxes);
    assert.is(got.scale, want.scale, `seed ${seed}: scale`);
    assert.equal(got.center, want.center, `seed ${seed}: crop centre`);
    assert.is(got.flipped, want.flipped, `seed ${seed}: flip`);
    const out = transformBoxes(boxes, got.affine, inW, inH);
    want.moved.forEach((b, k) => {
      let w = [clip(b[0], 0, inW), clip(b[1], 0, inH), clip(b[2], 0, inW), clip(b[3], 0, inH)];
      if (want.flipped) w = [inW - w[2], w[1], inW - w[0], w[3]];
      const at = out.kept.indexOf(k);
      if (w[2] - w[0] > 0 && w[3] - w[1] > 0) {
        assert.ok(at >= 0, `seed ${seed}: box ${k} kept`);
        out.boxes[at].forEach((v, i) => close(v, w[i], `seed ${seed} box ${k} coordinate ${i}`));
      } else {
        assert.is(at, -1, `seed ${seed}: box ${k} outside the crop dropped`);
      }
    });
    if (want.ref) {
      counts.ref++;
      // the zoom puts the reference's longer side in its size range
      const side = Math.max(want.ref[2] - want.ref[0], want.ref[3] - want.ref[1]);
      const range = want.refInd === 0 ? [96, 255] : want.refInd === 1 ? [32, 97] : [16, 33];
      assert.ok(side >= range[0] - 1e-9 && side < range[1], `seed ${seed}: reference side ${side}`);
      if (want.centered) counts.centred++;
      // a crop drawn to hold the reference holds it, up to the official int() of the window's bounds
      else if (want.ref[0] >= 0 && want.ref[1] >= 0 && want.ref[2] < inW + 1 && want.ref[3] < inH + 1) counts.inside++;
    }
    if (want.flipped) counts.flipped++;
  }
  // ~70% zoom on an object (the box outside the image is never the reference), half of those centred on it
  assert.ok(counts.ref > 110 && counts.ref < 170, `reference drawn ${counts.ref}/200 times`);
  assert.ok(counts.centred > 0.3 * counts.ref && counts.centred < 0.7 * counts.ref, `centred ${counts.centred} of ${counts.ref}`);
  assert.is(counts.inside, counts.ref - counts.centred, 'every uncentred crop holds its reference');
  assert.ok(counts.flipped > 70 && counts.flipped < 130, `flipped ${counts.flipped}/200`);
  // without objects: a plain scale from SACCADE_SCALES and a random window
  const plain = randomGeometry(new SampleRandom(3), imageW, imageH, inW, inH, { mode: 'saccade' }, []);
  assert.ok(SACCADE_SCALES.includes(plain.scale));
});

test('flip is the mirror in continuous coordinates: x1\' = W - x2, x2\' = W - x1 (no -1)', () => {
  const W = 100;
  const mirror: AxisAffine = { sx: -1, tx: W, sy: 1, ty: 0 };
  const out = transformBoxes([[10, 20, 30, 40], [0, 0, 100, 5]], mirror, W, 50);
  assert.equal(out.boxes, [
    [70, 20, 90, 40],
    [0, 0, 100, 5],
  ]);
  // a draw that flips is the mirror of the same draw without the flip (the flip is drawn last)
  for (let seed = 1; seed <= 20; seed++) {
    const plain = randomGeometry(new SampleRandom(seed), 300, 200, 128, 128, { flip: 0 });
    const flipped = randomGeometry(new SampleRandom(seed), 300, 200, 128, 128, { flip: 1 });
    assert.ok(flipped.flipped && !plain.flipped);
    const b = [[100, 50, 180, 120]];
    const p = transformBoxes(b, plain.affine, 128, 128).boxes[0];
    const f = transformBoxes(b, flipped.affine, 128, 128).boxes[0];
    if (!p) continue;
    close(f[0], 128 - p[2], 'x1');
    close(f[2], 128 - p[0], 'x2');
    close(f[1], p[1], 'y1');
    close(f[3], p[3], 'y2');
  }
});

test('boxes are clipped to the input and dropped when nothing (or no more than minSize) is left', () => {
  const id: AxisAffine = { sx: 1, tx: 0, sy: 1, ty: 0 };
  const boxes = [
    [-10, -5, 20, 30], // clipped at the top-left
    [90, 40, 130, 70], // clipped at the bottom-right
    [120, 10, 140, 20], // entirely right of the input
    [10, 60, 20, 80], // entirely below
    [50, 10, 50, 20], // no width
    [30, 10, 30.5, 20], // 0.5 wide: kept by default, dropped with minSize 1
  ];
  const out = transformBoxes(boxes, id, 100, 60);
  assert.equal(out.kept, [0, 1, 5]);
  assert.equal(out.boxes, [
    [0, 0, 20, 30],
    [90, 40, 100, 60],
    [30, 10, 30.5, 20],
  ]);
  assert.equal(transformBoxes(boxes, id, 100, 60, 1).kept, [0, 1]);
});

test('validation geometry: the max side fills the input width, centred (CenterNet fix-res)', () => {
  const a = centredGeometry(640, 480, 512, 512);
  const M = getAffineTransform([320, 240], 640, 512, 512);
  for (const p of [[0, 0], [640, 480], [100, 300]] as Pt[]) {
    const want = apply(M, p);
    close(a.sx * p[0] + a.tx, want[0], 'x');
    close(a.sy * p[1] + a.ty, want[1], 'y');
  }
});

test('warp: identity copies pixels exactly; 2x upsampling is bilinear with zero padding (cv2 BORDER_CONSTANT)', () => {
  const w = 5;
  const h = 3;
  const src = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
  const out = new Float32Array(w * h * 3);
  warpImage(src, w, h, { sx: 1, tx: 0, sy: 1, ty: 0 }, w, h, out);
  out.forEach((v, i) => close(v, src[i] / 255, `identity value ${i}`, 1e-6));

  // one row 0, 100, 200; output pixel j (centre j + 0.5) samples source (j + 0.5) / 2 in continuous
  // coordinates, i.e. pixel-centre coordinate (j + 0.5) / 2 - 0.5
  const row = Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200]);
  const up = new Float32Array(6 * 3);
  warpImage(row, 3, 1, { sx: 2, tx: 0, sy: 1, ty: 0 }, 6, 1, up);
  // sample points -0.25, 0.25, 0.75, 1.25, 1.75, 2.25: -0.25 blends 0.25 of the black outside
  const want = [0.75 * 0, 0.75 * 0 + 0.25 * 100, 0.25 * 0 + 0.75 * 100, 0.75 * 100 + 0.25 * 200, 0.25 * 100 + 0.75 * 200, 0.75 * 200];
  for (let j = 0; j < 6; j++) for (let c = 0; c < 3; c++) close(up[j * 3 + c], want[j] / 255, `upsampled ${j}`, 1e-6);
});

test('warp + boxes: the drawn rectangle lands where its transformed box says, flips and crops included', () => {
  const W = 96;
  const H = 64;
  const rect = [30, 12, 58, 40]; // continuous box of pixels x 30..57, y 12..39
  const src = new Uint8Array(W * H * 3);
  for (let y = rect[1]; y < rect[3]; y++) for (let x = rect[0]; x < rect[2]; x++) src.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
  const inW = 64;
  const inH = 48;
  let checked = 0;
  for (const mode of ['centernet', 'cornernet'] as const) {
    for (let seed = 1; seed <= 12; seed++) {
      const g = randomGeometry(sampleRandom(7, 0, seed), W, H, inW, inH, { mode, border: 16 });
      const out = new Float32Array(inW * inH * 3);
      warpImage(src, W, H, g.affine, inW, inH, out);
      const moved = transformBoxes([rect], g.affine, inW, inH);
      // bilinear blur reaches one source pixel, i.e. |scale| input pixels, plus half a pixel
      const margin = Math.max(Math.abs(g.affine.sx), Math.abs(g.affine.sy)) + 0.5;
      const b = moved.boxes[0] ?? [0, 0, 0, 0];
      for (let i = 0; i < inH; i++) {
        for (let j = 0; j < inW; j++) {
          const x = j + 0.5;
          const y = i + 0.5;
          const v = out[(i * inW + j) * 3];
          const inside = x > b[0] + margin && x < b[2] - margin && y > b[1] + margin && y < b[3] - margin;
          const outside = x < b[0] - margin || x > b[2] + margin || y < b[1] - margin || y > b[3] + margin;
          if (inside) assert.ok(v > 0.99, `${mode} seed ${seed}: pixel (${j}, ${i}) inside box [${b}] is ${v}`);
          if (outside || moved.boxes.length === 0) assert.ok(v < 0.01, `${mode} seed ${seed}: pixel (${j}, ${i}) outside box [${b}] is ${v}`);
          if (inside || outside) checked++;
        }
      }
    }
  }
  assert.ok(checked > 24 * 64 * 48 * 0.5);
});

test('warp rejects buffers of the wrong size and degenerate transforms', () => {
  const out = new Float32Array(4 * 4 * 3);
  assert.throws(() => warpImage(new Uint8Array(10), 2, 2, { sx: 1, tx: 0, sy: 1, ty: 0 }, 4, 4, out), /src has 10 bytes/);
  assert.throws(() => warpImage(new Uint8Array(12), 2, 2, { sx: 1, tx: 0, sy: 1, ty: 0 }, 4, 3, out), /out has 48 values/);
  assert.throws(() => warpImage(new Uint8Array(12), 2, 2, { sx: 0, tx: 0, sy: 1, ty: 0 }, 4, 4, out), /non-zero scales/);
});

test.run();
