// Module imports that wrangler (and esbuild with these files external) hand to workerd as the
// Worker's own modules: `.wasm` as a compiled module (CompiledWasm), `.bin` as bytes (Data).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.bin' {
  const data: ArrayBuffer;
  export default data;
}
