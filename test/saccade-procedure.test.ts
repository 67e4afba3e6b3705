// The steps of CornerNet-Saccade's test procedure against the official rules
// (core/test/cornernet_saccade.py), with expectations computed by hand from its formulas.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCornerNet } from '../runtime/decode/cornernet.js';
import type { Tensor } from '../runtime/ops/tensor.js';
import { attentionLevel, decodeAttention, type AttentionLevel } from '../runtime/saccade/attention.js';
import { bilinearTaps, drawCrop, placeCrop } from '../runtime/saccade/crop.js';
import { decodeView, viewToImage } from '../runtime/saccade/crop-decode.js';
import { referenceLocations, suppressLocations } from '../runtime/saccade/locations.js';
import { saccadeDetect, type SaccadeNetwork } from '../runtime/saccade/pipeline.js';
import { SACCADE_SETTINGS, saccadeSettingsFor } from '../runtime/saccade/settings.js';
import { loadKernels } from './helpers/kernels.js';

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol;

test('crop placement near the top-right corner: clipped region, canvas position and offset (crop_image_gpu)', () => {
  // 640 x 480 image, location (y 10.7, x 600.2) at scale 2: side int(255 / 2) = 127, half 63,
  // centre (10, 600); region y [0, 73), x [537, 640); resize 255 / 127; canvas centre 127:
  // rows 127 - int(10 * 255/127) = 107 .. 127 + int(63 * 255/127) = 253,
  // cols 127 - int(63 * 255/127) = 1 .. 127 + int(40 * 255/127) = 207; offset (10 - 63, 600 - 63).
  const p = placeCrop(640, 480, { y: 10.7, x: 600.2, scale: 2 }, 255);
  assert.equal(p, { srcY0: 0, srcY1: 73, srcX0: 537, srcX1: 640, outY0: 107, outY1: 253, outX0: 1, outX1: 207, offsetY: -53, offsetX: 537 });
});

test('crop placement of the first pass: the whole image downsized to 192 on its longer side, centred', () => {
  // 320 x 200 (w x h), scale 192 / 320 = 0.6: side int(255 / 0.6) = 425, half 212, centre (100, 160)
  // region: all of the image; resize 255 / 425 = 0.6: rows 127 - int(100 * 0.6) = 67 .. 127 + 60,
  // cols 127 - int(160 * 0.6) = 31 .. 127 + 96; offset (100 - 212, 160 - 212)
  const p = placeCrop(320, 200, { y: 100, x: 160, scale: 0.6 }, 255);
  assert.equal(p, { srcY0: 0, srcY1: 200, srcX0: 0, srcX1: 320, outY0: 67, outY1: 187, outX0: 31, outX1: 223, offsetY: -112, offsetX: -52 });
});

test('drawCrop: black canvas, the region resized bilinearly as F.interpolate(align_corners=False)', () => {
  // 2 x 1 RGB image [0, 100] (red channel) resized to 4 columns: sources (j + 0.5) / 2 - 0.5 =
  // -0.25 (clamped 0), 0.25, 0.75, 1.25 (past the last pixel: both taps pixel 1): 0, 25, 75, 100
  const taps = bilinearTaps(4, 2);
  assert.equal([...taps.i0], [0, 0, 0, 1]);
  assert.equal([...taps.i1], [1, 1, 1, 1]);
  const src = { data: new Uint8Array([0, 0, 0, 100, 0, 0]), width: 2, height: 1, channels: 3 as const };
  const out = new Float32Array(6 * 3 * 3);
  const norm = { mean: [0, 0, 0] as const, std: [1 / 255, 1, 1] as const, channelOrder: 'rgb' as const };
  drawCrop(src, { srcY0: 0, srcY1: 1, srcX0: 0, srcX1: 2, outY0: 1, outY1: 2, outX0: 1, outX1: 5, offsetY: 0, offsetX: 0 }, norm, out, 6, 3);
  const red = (y: number, x: number) => out[(y * 6 + x) * 3];
  assert.equal([0, 1, 2, 3, 4, 5].map((x) => red(1, x)), [0, 0, 25, 75, 100, 0]);
  assert.equal([0, 1, 2, 3, 4, 5].map((x) => red(0, x) + red(2, x)), [0, 0, 0, 0, 0, 0]);
});

test('boxes back to image pixels: / (64 / 255) into the canvas, / scale, + offset (rescale_dets_, remap_dets_)', () => {
  const [d] = viewToImage([{ box: { xmin: 16, ymin: 8, xmax: 32, ymax: 40 }, score: 0.7, classId: 4 }], 64 / 255, { scale: 2, offsetY: -53, offsetX: 537 });
  // xmin 16 * 255 / 64 / 2 + 537 = 568.875; ymin 8 * 255 / 64 / 2 - 53 = -37.0625; ...
  const expected = { xmin: 568.875, ymin: -37.0625, xmax: 600.75, ymax: 26.6875 };
  for (const key of ['xmin', 'ymin', 'xmax', 'ymax'] as const) assert.ok(close(d.box[key], expected[key], 1e-9), `${key}: ${d.box[key]}`);
  assert.is(d.score, 0.7);
  assert.is(d.classId, 4);
});

function level(h: number, w: number, ratio: number, cells: [number, number, number][]): AttentionLevel {
  const values = new Float32Array(h * w);
  for (const [y, x, v] of cells) values[y * w + x] = v;
  return { values, height: h, width: w, ratio };
}

test('attention locations: cell * ratio / view scale + offset, threshold strictly above, inside the image only', () => {
  const levels = [level(4, 4, 16, []), level(4, 4, 8, [[2, 3, 0.5], [1, 1, 0.3], [0, 0, 0.31]]), level(4, 4, 4, [])];
  const view = { scale: 0.5, offsetY: -10, offsetX: 20 };
  const locs = decodeAttention(levels, view, { imageWidth: 100, imageHeight: 30, threshold: 0.3, attScales: [1, 2, 4], ignoreSame: false, maxViewScale: 2, maxZoom: 4 });
  // (2, 3): y 2 * 8 / 0.5 - 10 = 22, x 3 * 8 / 0.5 + 20 = 68, zoom 2 * 0.5 = 1; (1, 1): 0.3 is not above 0.3;
  // (0, 0): y -10 is outside the image
  assert.equal(locs, [{ y: 22, x: 68, scale: 1, score: 0.5 }]);
});

test('attention scale rules: zoom = att_scale x view scale; none past zoom 4, none from views zoomed past 2, none at att_scale 1 in later rounds', () => {
  const one = (): AttentionLevel[] => [level(2, 2, 16, [[0, 0, 0.9]]), level(2, 2, 8, [[0, 0, 0.9]]), level(2, 2, 4, [[0, 0, 0.9]])];
  const decode = (scale: number, ignoreSame: boolean) =>
    decodeAttention(one(), { scale, offsetY: 0, offsetX: 0 }, { imageWidth: 1000, imageHeight: 1000, threshold: 0.3, attScales: [1, 2, 4], ignoreSame, maxViewScale: 2, maxZoom: 4 }).map((l) => l.scale);
  assert.equal(decode(1, false), [1, 2, 4]);
  assert.equal(decode(1.5, false), [1.5, 3]); // 4 x 1.5 = 6 > 4
  assert.equal(decode(2, false), [2, 4]);
  assert.equal(decode(2.5, false), []); // the view itself is zoomed past 2
  assert.equal(decode(1, true), [2, 4]); // a later round skips att_scale 1
});

test('attention NMS: sigmoid, then only 3x3 maxima survive (plateaus keep every equal cell)', () => {
  const logits: Tensor = { data: new Float32Array([0, 1, 0, 0, 0, 0, -1, 2, 2]), shape: [1, 3, 3, 1] };
  const l = attentionLevel(logits, 3, 8);
  const s = (v: number) => Math.fround(1 / (1 + Math.exp(-v)));
  // (0, 1) = 1 is the maximum of its window (rows 0-1); the two 2s tie: both stay
  assert.equal([...l.values], [0, s(1), 0, 0, 0, 0, 0, s(2), s(2)]);
  const lone: Tensor = { data: new Float32Array([3, -5, -5, -5, -5, -5, -5, -5, 1]), shape: [1, 3, 3, 1] };
  // background cells whose window holds nothing larger are plateau maxima too (att == pool), as officially
  assert.equal([...attentionLevel(lone, 3, 8).values].map((v) => v > 0), [true, false, true, false, false, false, true, false, true]);
});

test('reference locations: confident boxes zoomed so their longer side becomes 192, 64 or 24 (get_ref_locs)', () => {
  const det = (x1: number, y1: number, x2: number, y2: number, score: number) => ({ box: { xmin: x1, ymin: y1, xmax: x2, ymax: y2 }, score, classId: 0 });
  const locs = referenceLocations([det(0, 0, 100, 40, 0.9), det(10, 10, 42, 106, 0.8), det(0, 0, 32, 10, 0.6), det(0, 0, 50, 50, 0.5)], 0.5);
  assert.equal(locs, [
    { y: 20, x: 50, scale: 192 / 100, score: 1 }, // side 100 > 96
    { y: 58, x: 26, scale: 64 / 96, score: 1 }, // side 96: (32, 96]
    { y: 5, x: 16, scale: 24 / 32, score: 1 }, // side 32: small
  ]); // score 0.5 is not above 0.5
});

test('location NMS: best first; removes locations within 16 / scale in x OR y at a scale within 20% (location_nms)', () => {
  const loc = (y: number, x: number, scale: number, score: number) => ({ y, x, scale, score });
  const kept = suppressLocations([
    loc(110, 300, 1.1, 0.8), // |dy| 10 <= 16: suppressed by the first although 200 px away in x
    loc(100, 100, 1, 0.9),
    loc(105, 105, 2, 0.7), // scale ratio 1 / 2 < 0.8: kept
    loc(200, 200, 1, 0.6), // 100 px away in both: kept
    loc(120, 400, 0.5, 0.5), // suppressed by the scale-2 location? reach 16 / 2 = 8 < 15: no; by (200, 200)? ratio 2: no: kept
  ], 16);
  assert.equal(kept.map((l) => l.score), [0.9, 0.7, 0.6, 0.5]);
  // reach is 16 / scale of the kept location: at scale 0.5 it is 32
  assert.equal(suppressLocations([loc(0, 0, 0.5, 0.9), loc(30, 500, 0.55, 0.8)], 16).length, 1);
  assert.equal(suppressLocations([loc(0, 0, 0.5, 0.9), loc(33, 500, 0.55, 0.8)], 16).length, 2);
});

/** An 8 x 8 single-class map: background logit -10, the given cells set. */
function map(cells: [number, number, number][], channels = 1, fill = -10): Tensor {
  const data = new Float32Array(64 * channels).fill(fill);
  for (const [y, x, v] of cells) data[(y * 8 + x) * channels] = v;
  return { data, shape: [1, 8, 8, channels] };
}

test('crop decode rejects corners on the map border (no_border): tl on row/column 0, br on the last row/column', async () => {
  await loadKernels();
  const heads = {
    tlHeatmap: map([[0, 3, 5], [2, 2, 3]]),
    brHeatmap: map([[5, 7, 5], [4, 4, 3]]),
    tlEmbedding: map([], 1, 0),
    brEmbedding: map([], 1, 0),
    tlOffset: map([], 2, 0),
    brOffset: map([], 2, 0),
  };
  const options = { k: 2, kernel: 3, aeThreshold: 0.3, numDets: 12 };
  // without the rule all four pairs are boxes
  assert.is(decodeCornerNet(heads, { ...options, stride: 1 }).length, 4);
  const dets = decodeView(heads, options);
  assert.is(dets.length, 1);
  assert.equal(dets[0].box, { xmin: 2, ymin: 2, xmax: 4, ymax: 4 });
  assert.ok(close(dets[0].score, 1 / (1 + Math.exp(-3)), 1e-6));
});

test('the procedure: 2 first-pass views, then at most 30 crops; the crops are drawn at their locations', async () => {
  await loadKernels();
  // A fake 256 x 256 network: no corners anywhere; the outer attention level (ratio 4) one plateau
  // above threshold, so every cell is a location: far more than 30 survive location NMS
  const inputs: Float32Array[] = [];
  const input = new Float32Array(256 * 256 * 3);
  const flat = (h: number, c: number, v: number): Tensor => ({ data: new Float32Array(h * h * c).fill(v), shape: [1, h, h, c] });
  const net: SaccadeNetwork = {
    inputWidth: 256,
    inputHeight: 256,
    input: () => input,
    run: () => {
      inputs.push(input.slice());
      return {
        tl_heat: flat(64, 1, -20), br_heat: flat(64, 1, -20), tl_tag: flat(64, 1, 0), br_tag: flat(64, 1, 0), tl_regr: flat(64, 2, 0), br_regr: flat(64, 2, 0),
        'atts.0': flat(16, 1, -10), 'atts.1': flat(32, 1, -10), 'atts.2': flat(64, 1, 5),
      };
    },
  };
  const image = { data: new Uint8Array(640 * 480 * 3).fill(200), width: 640, height: 480, channels: 3 as const };
  const norm = { mean: [0, 0, 0] as const, std: [1, 1, 1] as const, channelOrder: 'rgb' as const };
  const dets = saccadeDetect(image, net, { normalisation: norm, decode: { k: 12, kernel: 3, aeThreshold: 0.3, numDets: 12 }, settings: saccadeSettingsFor(256) });
  assert.is(dets.length, 0, 'sigmoid(-20) corners fall below the soft-NMS floor 0.001');
  assert.is(inputs.length, 2 + SACCADE_SETTINGS.maxCrops);
  // first view: 640 wide at scale 192 / 640 = 0.3: side 850, the image drawn on rows 127 - int(240 * 0.3) = 55 .. 127 + 72
  const value = (k: number, y: number, x: number) => inputs[k][(y * 256 + x) * 3];
  assert.ok(close(value(0, 55, 127), 200 / 255, 1e-6) && value(0, 54, 127) === 0 && close(value(0, 198, 127), 200 / 255, 1e-6) && value(0, 199, 127) === 0);
  // row 255 and column 255 of the 256 input stay black: the 255 canvas sits in the top-left corner
  for (const k of [0, 1, 2]) for (let i = 0; i < 256; i++) assert.ok(value(k, 255, i) === 0 && value(k, i, 255) === 0);
});

test.run();
