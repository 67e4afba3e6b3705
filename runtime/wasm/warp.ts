// The detector's preprocessing warp on the wasm kernel (assembly/elementwise/warp.ts): the image's
// pixels copied into the kernel heap, the taps computed as runtime/image/warp.ts (the spec) computes
// them, the input written in place when `out` is the execution plan's input buffer (as the detector
// passes it), else copied out. Same values as the spec to the bit (test/ops/warp.test.ts); a first
// detect() no longer runs the sampling loop in unwarmed JavaScript.
import type { Warper } from '../image/warp.js';
import { warpSetup } from '../image/warp.js';
import { withScope } from '../ops/heap-scope.js';
import type { Kernels } from './loader.js';

export function wasmWarper(kn: Kernels): Warper {
  return (src, t, norm, out) => {
    const { inputWidth: outW, inputHeight: outH } = t;
    const n = outH * outW * 3;
    const memory = kn.exports.memory;
    // read before any allocation: a growing memory detaches `out`, whose byteOffset then reads 0
    const inPlace = out !== undefined && out.buffer === memory.buffer;
    const inPlacePtr = inPlace ? out.byteOffset : 0;
    const { cols, rows, srcChannel, a, b } = warpSetup(t, norm);
    return withScope(kn, (scope) => {
      const pixels = scope.alloc(src.data.length);
      kn.heap.u8(pixels, src.data.length).set(src.data);
      const rowI0 = scope.alloc(outH * 4);
      const rowF = scope.alloc(outH * 8);
      const colI0 = scope.alloc(outW * 4);
      const colF = scope.alloc(outW * 8);
      kn.heap.i32(rowI0, outH).set(rows.i0);
      new Float64Array(memory.buffer, rowF, outH).set(rows.f);
      kn.heap.i32(colI0, outW).set(cols.i0);
      new Float64Array(memory.buffer, colF, outW).set(cols.f);
      const outPtr = inPlace ? inPlacePtr : scope.alloc(n * 4);
      const [s0, s1, s2] = srcChannel;
      kn.exports.warpNormaliseU8(pixels, src.width, src.height, src.channels, rowI0, rowF, outH, colI0, colF, outW, s0, s1, s2, a[0], a[1], a[2], b[0], b[1], b[2], outPtr);
      const values = kn.heap.f32(outPtr, n);
      const data = inPlace ? values : (out ?? new Float32Array(n));
      if (!inPlace) data.set(values);
      return { data, shape: [1, outH, outW, 3] };
    });
  };
}
