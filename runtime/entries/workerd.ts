// The `anchorless` entry for runtimes that compile WebAssembly only from modules imported at build
// time (Cloudflare's workerd; the `workerd`, `worker` and `edge-light` export conditions): the two
// kernel builds come in as WebAssembly.Module imports, which wrangler (or esbuild with `*.wasm`
// external) turns into the Worker's own wasm modules. No base64 copy, no fetch, no top-level await.
import simd from '../wasm/anchorless-simd.wasm';
import relaxed from '../wasm/anchorless-relaxed.wasm';
import { setDefaultKernels } from '../wasm/default-kernels.js';

setDefaultKernels((variant) => (variant === 'relaxed' ? relaxed : simd));

export * from '../index.js';
