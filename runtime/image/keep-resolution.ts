// The official keep-resolution input sizes: the network sees the image at its own (test-scaled)
// size, padded up to a side the architecture takes.
//  - CornerNet (princeton-vl test/coco.py, CornerNet-Lite core/test/cornernet.py):
//    inp = new_side | 127, a side of the form 128k - 1 (511 for 500 .. 511).
//  - CenterNet --keep_res (base_detector.pre_process): inp = (new_side | pad) + 1, pad = 127 for
//    hourglass, 31 otherwise: the smallest multiple of 128 / 32 strictly above new_side (a side
//    that already is a multiple grows by a whole multiple: 512 -> 640 with pad 127).
// Both masks are the architecture's preferred multiple minus one (hourglass 128, ResNet/DLA 32), so
// `multiple` is the graph's sizeMultiple; for a multiple that is not a power of two the same rule
// is written with division (smallest m k - 1 >= side; smallest m k > side).
import type { Detector } from '../model/names.js';

export function keepResolutionSide(detector: Detector, side: number, multiple: number): number {
  if (!Number.isInteger(side) || side < 1) throw new Error(`keepResolutionSide: side must be a positive integer, got ${String(side)}`);
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`keepResolutionSide: multiple must be a positive integer, got ${String(multiple)}`);
  if (detector === 'cornernet') return Math.ceil((side + 1) / multiple) * multiple - 1;
  return (Math.floor(side / multiple) + 1) * multiple;
}
