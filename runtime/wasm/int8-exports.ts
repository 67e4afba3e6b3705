// The int8 kernel module's exports (assembly/int8.ts) as the TypeScript side sees them. It has no
// memory of its own: pointers are byte offsets into the main kernel module's memory, which it
// imports (int8-loader.ts). Keep in step with assembly/int8.ts (test/ops/conv-int8.test.ts calls
// every export listed here on each build).
export interface Int8Exports {
  /** 1 in the int8 module; the main kernel module has no such export. */
  isInt8Build(): number;
  isRelaxedBuild(): number;
  // activation codes (assembly/elementwise/quantize-*.ts): x [pixels, c] f32 -> [pixels, cs] codes, scale as f32 bits
  quantizeI16(x: number, pixels: number, c: number, cs: number, invScaleBits: number, lo: number, hi: number, out: number): void;
  quantizeI16Scalar(x: number, pixels: number, c: number, cs: number, invScaleBits: number, lo: number, hi: number, out: number): void;
  quantizeU8(x: number, pixels: number, c: number, cs: number, invScaleBits: number, hi: number, out: number): void;
  quantizeU8Scalar(x: number, pixels: number, c: number, cs: number, invScaleBits: number, hi: number, out: number): void;
  // int8 convolution (runtime/ops/conv-int8.ts): 'c2' i16 codes with an even channel stride, weights packed as i16 pairs; 'c4' byte codes, weights as byte quads
  int8GemmPackedBytes(ks: number, cin: number, cout: number): number;
  packInt8GemmWeights(codes: number, ks: number, cin: number, cout: number, scales: number, bias: number, hasBias: number, out: number): void;
  int8GemmPackedBytesC4(ks: number, cin: number, cout: number): number;
  packInt8GemmWeightsC4(codes: number, ks: number, cin: number, cout: number, scales: number, bias: number, hasBias: number, out: number): void;
  conv2dInt8Igemm(x: number, n: number, h: number, w: number, cs: number, packed: number, kh: number, kw: number, cout: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number, scratch: number): void;
  conv2dInt8IgemmC4(x: number, n: number, h: number, w: number, cs: number, packed: number, kh: number, kw: number, cout: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number, scratch: number): void;
  conv2dInt8IgemmScratchBytes(cs: number, ks: number, codeBytes: number): number;
  /** One output phase of a transposed conv (runtime/ops/conv-transpose-int8.ts): a stride-1 c2 conv of one image whose grid pixel (i, j) is output pixel (i sy, j sx) of an image outW wide. */
  conv2dInt8IgemmPhase(x: number, h: number, w: number, cs: number, packed: number, kh: number, kw: number, cout: number, padTop: number, padLeft: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number, scratch: number, outW: number, sy: number, sx: number): void;
  conv2dInt8IgemmPhaseC4(x: number, h: number, w: number, cs: number, packed: number, kh: number, kw: number, cout: number, padTop: number, padLeft: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number, scratch: number, outW: number, sy: number, sx: number): void;
  // int8 Winograd F(2x2, 3x3) (assembly/conv/int8-winograd.ts): c2 codes, cs a multiple of 8, cout of 4; equal to the direct conv to the bit
  int8WinogradPackedBytes(cin: number, cout: number): number;
  packInt8WinogradWeights(codes: number, cin: number, cout: number, scales: number, bias: number, hasBias: number, out: number): void;
  conv2dInt8Winograd(x: number, n: number, h: number, w: number, cs: number, packed: number, cout: number, padTop: number, padLeft: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number, scratch: number, blockTiles: number, panel0: number, panelCount: number): void;
  conv2dInt8WinogradScratchBytes(cs: number, cout: number, blockTiles: number): number;
  conv2dInt8Scalar(x: number, n: number, h: number, w: number, cs: number, cin: number, codeBytes: number, codes: number, kh: number, kw: number, cout: number, scales: number, bias: number, hasBias: number, sh: number, sw: number, padTop: number, padLeft: number, dh: number, dw: number, oh: number, ow: number, actScaleBits: number, relu: number, out: number): void;
}

/** Every function export, for the loader's check that a module is the int8 build. */
export const INT8_EXPORT_NAMES = [
  'isInt8Build', 'isRelaxedBuild', 'quantizeI16', 'quantizeI16Scalar', 'quantizeU8', 'quantizeU8Scalar',
  'int8GemmPackedBytes', 'packInt8GemmWeights', 'int8GemmPackedBytesC4', 'packInt8GemmWeightsC4',
  'conv2dInt8Igemm', 'conv2dInt8IgemmC4', 'conv2dInt8IgemmScratchBytes', 'conv2dInt8IgemmPhase', 'conv2dInt8IgemmPhaseC4', 'conv2dInt8Scalar',
  'int8WinogradPackedBytes', 'packInt8WinogradWeights', 'conv2dInt8Winograd', 'conv2dInt8WinogradScratchBytes',
] as const satisfies readonly (keyof Int8Exports)[];
