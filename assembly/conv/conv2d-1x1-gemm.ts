// 1x1 convolution, stride 1, no padding, as a GEMM over pixels: x [pixels, cin] (NHWC, pixels =
// n*h*w), packed panels (pack.ts, ks = 1) -> out [pixels, cout], groups >= 1, bias and ReLU fused.
import { PANEL } from './pack';
import { BLOCK_PIXELS, MR, gemmTile } from './tile';

export function conv2d1x1Gemm(x: usize, pixels: i32, cin: i32, packed: usize, cout: i32, groups: i32, relu: i32, out: usize): void {
  const kc = cin / groups;
  const coutG = cout / groups;
  const panels = (coutG + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + kc * PANEL) << 2;
  const xRow = <usize>cin << 2;
  const outRow = <usize>cout << 2;
  for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
    const end = min<i32>(p0 + BLOCK_PIXELS, pixels);
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>(g * kc) << 2);
      for (let j = 0; j < panels; j++) {
        const w = packed + <usize>(g * panels + j) * panelBytes;
        const nc = min<i32>(PANEL, coutG - j * PANEL);
        const outg = out + (<usize>(g * coutG + j * PANEL) << 2);
        for (let p = p0; p < end; p += MR) {
          gemmTile(min<i32>(MR, end - p), kc, xg + <usize>p * xRow, xRow, w, outg + <usize>p * outRow, outRow, nc, relu);
        }
      }
    }
  }
}
