// The depthwise input-gradient kernels (assembly/conv/depthwise-backprop-input*.ts): the scalar spec
// against a plain-JS scatter loop written from TF's definition (channel multipliers, strides,
// dilation, asymmetric padding), and the SIMD kernel against the spec at channel counts below, at
// and above its 4- and 16-lane steps (max rel err 1e-4, floor 1e-2: the kernels sum in different
// orders). The kernels are the training module's, on the memory of the main build
// ANCHORLESS_WASM_VARIANT asks for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kernels } from '../runtime/wasm/loader.js';
import { loadTrainKernels, type TrainExports } from '../trainer/wasm-kernels/train-module.js';
import { loadKernels } from './helpers/kernels.js';
import { maxRelError, randomF32 } from './helpers/random.js';

interface Case {
  n: number; h: number; w: number; c: number; m: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; padTop: number; padLeft: number; oh: number; ow: number;
}

/** dx[b, oy*sh - padTop + ky*dh, ox*sw - padLeft + kx*dw, ci] += dy[b, oy, ox, ci*m + j] * w[ky, kx, ci, j]. */
function reference(dy: Float32Array, wt: Float32Array, p: Case): Float32Array {
  const dx = new Float64Array(p.n * p.h * p.w * p.c);
  for (let b = 0; b < p.n; b++) {
    for (let oy = 0; oy < p.oh; oy++) {
      for (let ox = 0; ox < p.ow; ox++) {
        for (let ky = 0; ky < p.kh; ky++) {
          const iy = oy * p.sh - p.padTop + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const ix = ox * p.sw - p.padLeft + kx * p.dw;
            if (ix < 0 || ix >= p.w) continue;
            for (let ci = 0; ci < p.c; ci++) {
              for (let j = 0; j < p.m; j++) {
                dx[((b * p.h + iy) * p.w + ix) * p.c + ci] +=
                  dy[((b * p.oh + oy) * p.ow + ox) * p.c * p.m + ci * p.m + j] * wt[((ky * p.kw + kx) * p.c + ci) * p.m + j];
              }
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dx);
}

/** Runs one kernel on the case; the output buffer is pre-filled with NaN so unwritten values show. */
function run(k: Kernels, train: TrainExports, kernel: 'scalar' | 'simd', p: Case, dy: Float32Array, wt: Float32Array): Float32Array {
  const heap = k.heap;
  const dxLen = p.n * p.h * p.w * p.c;
  const pdy = heap.allocF32(dy);
  const pw = heap.allocF32(wt);
  // Guard floats after dx: a kernel writing past its buffer changes them.
  const pdx = heap.alloc((dxLen + 4) * 4);
  heap.f32(pdx, dxLen + 4).fill(NaN);
  heap.f32(pdx + dxLen * 4, 4).fill(7);
  try {
    if (kernel === 'scalar') {
      train.depthwiseBackpropInputScalar(pdy, p.n, p.oh, p.ow, p.c, p.m, pw, p.kh, p.kw, p.sh, p.sw, p.padTop, p.padLeft, p.dh, p.dw, p.h, p.w, pdx);
    } else {
      train.depthwiseBackpropInput(pdy, p.n, p.oh, p.ow, p.c, pw, p.kh, p.kw, p.sh, p.sw, p.padTop, p.padLeft, p.dh, p.dw, p.h, p.w, pdx);
    }
    assert.equal(Array.from(heap.f32(pdx + dxLen * 4, 4)), [7, 7, 7, 7], `${kernel} wrote past dx`);
    return heap.f32(pdx, dxLen).slice();
  } finally {
    heap.release(pdx);
    heap.release(pw);
    heap.release(pdy);
  }
}

/** A case with the conv output size of the given padding (bottom/right padding padBottom/padRight). */
function makeCase(o: Omit<Case, 'oh' | 'ow'> & { padBottom: number; padRight: number }): Case {
  const oh = Math.floor((o.h + o.padTop + o.padBottom - (o.kh - 1) * o.dh - 1) / o.sh) + 1;
  const ow = Math.floor((o.w + o.padLeft + o.padRight - (o.kw - 1) * o.dw - 1) / o.sw) + 1;
  return { ...o, oh, ow };
}

const base = { n: 2, h: 7, w: 9, c: 5, m: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 };

const SPEC_CASES: Case[] = [
  makeCase(base),
  makeCase({ ...base, m: 3, c: 4 }),
  makeCase({ ...base, sh: 2, sw: 3, padTop: 0, padLeft: 2, padBottom: 2, padRight: 0 }),
  makeCase({ ...base, dh: 2, dw: 3, kh: 3, kw: 2, padTop: 2, padBottom: 0, padLeft: 0, padRight: 3, m: 2 }),
  makeCase({ ...base, kh: 5, kw: 1, h: 4, w: 3, padTop: 3, padBottom: 3, padLeft: 0, padRight: 0 }),
  makeCase({ ...base, n: 1, h: 1, w: 1, kh: 1, kw: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }),
];

test('depthwiseBackpropInputScalar (the spec) equals the plain scatter loop', async () => {
  const k = await loadKernels();
  const train = await loadTrainKernels(k);
  for (const [i, p] of SPEC_CASES.entries()) {
    const dy = randomF32(p.n * p.oh * p.ow * p.c * p.m, 10 + i);
    const wt = randomF32(p.kh * p.kw * p.c * p.m, 20 + i);
    const e = maxRelError(run(k, train, 'scalar', p, dy, wt), reference(dy, wt, p), 1e-2);
    assert.ok(e < 1e-4, `case ${i} ${JSON.stringify(p)}: rel err ${e}`);
  }
});

test('depthwiseBackpropInput (SIMD) equals the spec at channel counts around its 4- and 16-lane steps', async () => {
  const k = await loadKernels();
  const train = await loadTrainKernels(k);
  const geometries = [
    base,
    { ...base, sh: 2, sw: 2, padTop: 0, padLeft: 1, padBottom: 1, padRight: 0 },
    { ...base, dh: 2, dw: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 },
    { ...base, kh: 2, kw: 4, sh: 1, sw: 3, padTop: 0, padLeft: 3, padBottom: 1, padRight: 0 },
  ];
  let i = 0;
  for (const c of [1, 3, 4, 5, 15, 16, 17, 20, 33]) {
    for (const g of geometries) {
      const p = makeCase({ ...g, c });
      const dy = randomF32(p.n * p.oh * p.ow * p.c, 100 + i);
      const wt = randomF32(p.kh * p.kw * p.c, 200 + i);
      const want = run(k, train, 'scalar', p, dy, wt);
      const got = run(k, train, 'simd', p, dy, wt);
      const e = maxRelError(got, want, 1e-2);
      assert.ok(e < 1e-4, `c ${c} ${JSON.stringify(p)}: rel err ${e}`);
      i++;
    }
  }
});

test.run();
