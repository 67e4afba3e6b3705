// Feature detection for the two kernel builds, by validating tiny modules (no instantiation).

const V128_CONST = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

function moduleWithBody(body: number[]): Uint8Array<ArrayBuffer> {
  const fn = [0x00, ...body, 0x0b]; // no locals, body, end
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
    0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
    0x0a, fn.length + 2, 0x01, fn.length, ...fn, // code section
  ]);
}

/** v128.const; drop */
const SIMD_PROBE = moduleWithBody([...V128_CONST, 0x1a]);
/** v128.const x3; f32x4.relaxed_madd (0xfd 0x105); drop */
const RELAXED_PROBE = moduleWithBody([...V128_CONST, ...V128_CONST, ...V128_CONST, 0xfd, 0x85, 0x02, 0x1a]);

export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** True where relaxed SIMD is on: Node 22+, Deno, current Chrome; Node 20 only with --experimental-wasm-relaxed-simd. */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}
