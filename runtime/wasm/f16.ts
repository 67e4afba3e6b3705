// The F16 decoder of model loading on the wasm kernel (assembly/elementwise/f16.ts): the half bits
// copied into the kernel heap, converted there, the f32 values copied out. All three steps are
// native copies or SIMD, so a cold create() no longer spends ~15 ms in an unwarmed JavaScript loop.
import type { F16Decoder } from '../weights/safetensors.js';
import type { Kernels } from './loader.js';
import { withScope } from '../ops/heap-scope.js';

export function wasmF16Decoder(kn: Kernels): F16Decoder {
  return (bits: Uint8Array, n: number): Float32Array => {
    if (bits.length !== 2 * n) throw new Error(`decodeF16: ${bits.length} bytes do not hold ${n} half values`);
    return withScope(kn, (scope) => {
      const src = scope.alloc(bits.length);
      kn.heap.u8(src, bits.length).set(bits);
      const out = scope.alloc(n * 4);
      kn.exports.decodeF16(src, n, out);
      return scope.readF32(out, n);
    });
  };
}
