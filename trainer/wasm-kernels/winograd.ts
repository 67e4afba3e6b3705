// The training convs' Winograd path (assembly/conv/winograd.ts; the runtime's kernel for 3x3
// stride-1 convs): the forward conv (Conv2D) and its input gradient (Conv2DBackpropInput, the same
// kind of conv with the filter flipped). The filter changes every step, so it is transformed and
// packed on every call (16 cin cout floats; the conv itself is ~2 n h w / 16 times that work).
import { WINOGRAD_PANEL, winogradBlockTiles } from '../../runtime/ops/conv-packed.js';
import type { NativeContext } from './context.js';

/**
 * y [n, oh, ow, cout] = conv3x3(x [n, h, w, cin], filter) with top/left padding padTop, padLeft,
 * all pointers in kernel memory. `filter` is HWIO [3, 3, cin, cout], or with `flip` a forward
 * conv's [3, 3, cout, cin] used as its input gradient's filter (rotated, channel axes swapped).
 */
export function winogradConv(ctx: NativeContext, x: number, [n, h, w, cin]: readonly number[], filter: number, flip: boolean, cout: number, padTop: number, padLeft: number, oh: number, ow: number, y: number): void {
  const ex = ctx.k.exports;
  const { bufs } = ctx;
  const packed = bufs.get('winograd-packed', ex.winogradPackedFloats(cin, cout) * 4);
  ex.packWinogradWeights(filter, cin, cout, 0, 0, packed, flip ? 1 : 0);
  const blockTiles = winogradBlockTiles(cin);
  const scratch = bufs.get('winograd-scratch', ex.conv2dWinogradScratchBytes(cin, cout, blockTiles));
  ex.conv2dWinograd(x, n, h, w, cin, packed, cout, padTop, padLeft, oh, ow, 0, y, scratch, blockTiles, 0, Math.ceil(cout / WINOGRAD_PANEL));
}
