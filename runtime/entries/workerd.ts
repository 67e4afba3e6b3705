// The `anchorless` entry for runtimes that compile WebAssembly only from modules imported at build
// time (Cloudflare's workerd; the `workerd`, `worker` and `edge-light` export conditions): the two
// kernel builds come in as WebAssembly.Module imports, which wrangler (or esbuild with `*.wasm`
// external) turns into the Worker's own wasm modules. No base64 copy, no fetch, no top-level await.
// The int8 module's two single-threaded builds come in alike (a few KB each; workerd has no threads,
// so no shared-memory build).
import simd from '../wasm/anchorless-simd.wasm';
import relaxed from '../wasm/anchorless-relaxed.wasm';
import int8Simd from '../wasm/anchorless-int8-simd.wasm';
import int8Relaxed from '../wasm/anchorless-int8-relaxed.wasm';
import { setDefaultKernels } from '../wasm/default-kernels.js';

setDefaultKernels((build) => {
  if (build.startsWith('int8-')) return build === 'int8-relaxed' ? int8Relaxed : int8Simd;
  return build === 'relaxed' ? relaxed : simd;
});

export * from '../index.js';
