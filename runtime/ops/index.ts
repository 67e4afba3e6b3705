// The public `ops` namespace (DESIGN.md): thin, validating wrappers around the wasm kernels.
export type { Tensor } from './tensor.js';
