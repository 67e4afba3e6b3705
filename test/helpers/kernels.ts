// Loads the kernel build the test run asks for: ANCHORLESS_WASM_VARIANT=simd|relaxed (scripts/test.mjs
// runs the kernel tests once per build), else whatever init() detects.
import { init, type Kernels, type WasmVariant } from '../../runtime/wasm/loader.js';

export function requestedVariant(): WasmVariant | undefined {
  const v = process.env.ANCHORLESS_WASM_VARIANT;
  if (v === undefined || v === '') return undefined;
  if (v !== 'simd' && v !== 'relaxed') throw new Error(`ANCHORLESS_WASM_VARIANT must be simd or relaxed, got ${v}`);
  return v;
}

export function loadKernels(): Promise<Kernels> {
  return init({ variant: requestedVariant() });
}
