// The kernel module's exports as the TypeScript side sees them. Pointers are byte offsets into
// `memory`; counts and sizes are element counts. Keep in step with assembly/index.ts (the kernel
// tests call every export listed here on both builds, so a drift fails there). The training-only
// kernels are the training module's (trainer/wasm-kernels/train-module.ts); the scalar specs that
// only tests and benchmarks call are the spec module's (test/helpers/spec-kernels.ts).
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  isRelaxedBuild(): number;
  addF32(a: number, b: number, out: number, n: number, relu: number): void;
  // elementwise (assembly/elementwise): n f32 elements, out may alias x
  expF32(x: number, out: number, n: number): void;
  sigmoidF32(x: number, out: number, n: number): void;
  reluF32(x: number, out: number, n: number): void;
  upsampleNearestNhwc(x: number, n: number, h: number, w: number, c: number, factor: number, out: number): void;
  copyChannelsNhwc(src: number, pixels: number, cSrc: number, dst: number, cDst: number, cOffset: number): void;
  affineChannelsNhwc(x: number, pixels: number, c: number, scale: number, shift: number, relu: number, out: number): void;
  /** Batch norm's factors for folding, bit for bit runtime/engine/fold.ts's f64 arithmetic: scale, shift and bias * scale + shift per channel (bias: zeros for a layer without one). */
  bnFoldF32(gamma: number, beta: number, mean: number, variance: number, bias: number, n: number, eps: number, scaleOut: number, shiftOut: number, biasOut: number): void;
  /** n IEEE half values (u16 bits at src) -> f32 at out, exact; 1 if one of the first n - n % 8 is an infinity or NaN, else 0. */
  decodeF16(src: number, n: number, out: number): number;
  /** runtime/image/warp.ts's warpNormalise on u8 pixels at src, taps (i32 index, f64 weight) per output row and column, f32 out [outH, outW, 3]. */
  warpNormaliseU8(src: number, width: number, height: number, channels: number, rowI0: number, rowF: number, outH: number, colI0: number, colF: number, outW: number, s0: number, s1: number, s2: number, a0: number, a1: number, a2: number, b0: number, b1: number, b2: number, out: number): void;
  // pooling (assembly/pool)
  maxPool2dNhwc(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, out: number): void;
  cornerPoolNhwc(x: number, n: number, h: number, w: number, c: number, dir: number, out: number): void;
  cornerPoolPairAddNhwc(a: number, b: number, n: number, h: number, w: number, c: number, dirA: number, dirB: number, scratch: number, out: number): void;
  // selection (assembly/select)
  topKF32(values: number, n: number, k: number, outValues: number, outIndices: number): void;
  heatmapPeaksNhwc(heat: number, h: number, w: number, c: number, kernel: number, k: number, outScores: number, outIndices: number): number;
  heatmapPeaksLogitsNhwc(heat: number, h: number, w: number, c: number, kernel: number, k: number, outScores: number, outIndices: number): number;
  peaksMaskNhwc(heat: number, h: number, w: number, c: number, kernel: number, out: number): void;
  nmsF32(boxes: number, scores: number, n: number, iouThreshold: number, scratch: number, keep: number): number;
  softNmsF32(boxes: number, scores: number, n: number, method: number, iouThreshold: number, sigma: number, scoreThreshold: number, scratch: number, outIndices: number, outScores: number): number;
  // convolution (assembly/conv): NHWC activations, byte pointers; see runtime/ops/conv-packed.ts
  conv2dScalar(x: number, n: number, h: number, w: number, cin: number, wts: number, kh: number, kw: number, cout: number, groups: number, bias: number, hasBias: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, relu: number, out: number): void;
  conv2d1x1Gemm(x: number, pixels: number, cin: number, packed: number, cout: number, groups: number, relu: number, out: number): void;
  // rows 1: whole filter rows as taps (groups 1, dw 1), kc = kw * cin, ks = kh in the scratch size
  conv2dIgemm(x: number, n: number, h: number, w: number, cin: number, packed: number, kh: number, kw: number, cout: number, groups: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, relu: number, out: number, scratch: number, rows: number): void;
  conv2dIgemmScratchBytes(kc: number, ks: number, rows: number): number;
  conv2dWinograd(x: number, n: number, h: number, w: number, cin: number, packed: number, cout: number, padTop: number, padLeft: number, oh: number, ow: number, relu: number, out: number, scratch: number, blockTiles: number, panel0: number, panelCount: number): void;
  conv2dWinogradScratchBytes(cin: number, cout: number, blockTiles: number): number;
  packWinogradWeights(wts: number, cin: number, cout: number, bias: number, hasBias: number, out: number, flip: number): void;
  winogradPackedFloats(cin: number, cout: number): number;
  depthwiseConv2d(x: number, n: number, h: number, w: number, c: number, packed: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, relu: number, out: number): void;
  gemmPackedFloats(ks: number, kc: number, coutG: number, groups: number): number;
  packGemmWeights(wts: number, ks: number, kc: number, cout: number, groups: number, bias: number, hasBias: number, out: number): void;
  deconvPackedFloats(kh: number, kw: number, sh: number, sw: number, cin: number, cout: number): number;
  packDeconvWeights(wts: number, kh: number, kw: number, sh: number, sw: number, cin: number, cout: number, bias: number, hasBias: number, out: number): void;
  packDepthwiseWeights(wts: number, ks: number, c: number, bias: number, hasBias: number, out: number): void;
  conv2dTransposeScalar(x: number, n: number, h: number, w: number, cin: number, wts: number, kh: number, kw: number, cout: number, bias: number, hasBias: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, relu: number, out: number): void;
  conv2dTransposeIgemm(x: number, n: number, h: number, w: number, cin: number, packed: number, kh: number, kw: number, cout: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, relu: number, out: number, scratch: number): void;
  conv2dTransposeScratchBytes(kh: number, kw: number, sh: number, sw: number, cin: number): number;
  conv2dTransposeGroupedScalar(x: number, n: number, h: number, w: number, cin: number, wts: number, kh: number, kw: number, cout: number, groups: number, bias: number, hasBias: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, relu: number, out: number): void;
  conv2dTransposeDepthwise(x: number, n: number, h: number, w: number, c: number, packed: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, relu: number, out: number): void;
  // deformable convolution (DCNv2): offsets and mask per output pixel at offsetStride / maskStride floats; see runtime/ops/deform-conv.ts
  deformConv2dScalar(x: number, n: number, h: number, w: number, cin: number, wts: number, kh: number, kw: number, cout: number, bias: number, hasBias: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, offset: number, offsetStride: number, mask: number, maskStride: number, maskLogits: number, relu: number, out: number): void;
  deformConv2dGemm(x: number, n: number, h: number, w: number, cin: number, packed: number, kh: number, kw: number, cout: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, offset: number, offsetStride: number, mask: number, maskStride: number, maskLogits: number, relu: number, out: number, scratch: number): void;
  deformConv2dGemmScratchBytes(cin: number, ks: number): number;
}
