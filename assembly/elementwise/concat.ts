// One step of a channel concatenation, NHWC: copies src [pixels, cSrc] into the channel slice
// [cOffset, cOffset + cSrc) of dst [pixels, cDst]; a concat of k inputs is k calls. dst must not
// overlap src.
import { copyF32 } from './copy';

export function copyChannelsNhwcScalar(src: usize, pixels: i32, cSrc: i32, dst: usize, cDst: i32, cOffset: i32): void {
  for (let p = 0; p < pixels; p++) {
    const s = src + ((<usize>p * cSrc) << 2);
    const d = dst + ((<usize>p * cDst + cOffset) << 2);
    for (let ch = 0; ch < cSrc; ch++) store<f32>(d + (<usize>ch << 2), load<f32>(s + (<usize>ch << 2)));
  }
}

export function copyChannelsNhwc(src: usize, pixels: i32, cSrc: i32, dst: usize, cDst: i32, cOffset: i32): void {
  if (cSrc == cDst) {
    // the whole tensor is one contiguous block
    copyF32(dst, src, pixels * cSrc);
    return;
  }
  for (let p = 0; p < pixels; p++) {
    const s = src + ((<usize>p * cSrc) << 2);
    const d = dst + ((<usize>p * cDst + cOffset) << 2);
    let ch = 0;
    for (; ch + 16 <= cSrc; ch += 16) {
      const o = <usize>ch << 2;
      const a = v128.load(s + o);
      const b = v128.load(s + o, 16);
      const c = v128.load(s + o, 32);
      const e = v128.load(s + o, 48);
      v128.store(d + o, a);
      v128.store(d + o, b, 16);
      v128.store(d + o, c, 32);
      v128.store(d + o, e, 48);
    }
    for (; ch + 4 <= cSrc; ch += 4) v128.store(d + (<usize>ch << 2), v128.load(s + (<usize>ch << 2)));
    for (; ch < cSrc; ch++) store<f32>(d + (<usize>ch << 2), load<f32>(s + (<usize>ch << 2)));
  }
}
