// Option checks shared by the decoders: each Error names the function and the option.
import { describe } from '../ops/tensor.js';

/** CornerNet's pair score from its two corner scores: the official mean, or their geometric mean. */
export type PairScore = 'mean' | 'geometric';
export const PAIR_SCORES: readonly PairScore[] = ['mean', 'geometric'];

/** v as a PairScore, else an Error `${where} must be one of 'mean', 'geometric', got ${shown}` (the decoder's and the model config's check). */
export function checkPairScore(where: string, v: unknown, shown: string): PairScore {
  if (!PAIR_SCORES.includes(v as PairScore)) throw new Error(`${where} must be one of ${PAIR_SCORES.map((n) => `'${n}'`).join(', ')}, got ${shown}`);
  return v as PairScore;
}

export function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${fn}: options.${name} must be a positive integer, got ${show(v)}`);
  return v;
}

/** Max-pool window of the peak test: odd, so the window is centred on the pixel (as in _nms). */
export function oddKernel(fn: string, v: unknown): number {
  const k = positiveInt(fn, 'kernel', v);
  if (k % 2 === 0) throw new Error(`${fn}: options.kernel must be odd (a window centred on each pixel), got ${k}`);
  return k;
}

export function positiveNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${fn}: options.${name} must be a positive finite number, got ${show(v)}`);
  return v;
}

export function nonNegativeNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${fn}: options.${name} must be a finite number >= 0, got ${show(v)}`);
  return v;
}

export function boolean(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`${fn}: options.${name} must be true or false, got ${show(v)}`);
  return v;
}

/** k peaks must exist: k <= H*W*C (the official torch.topk would fail the same way). */
export function kWithinCells(fn: string, k: number, arg: string, cells: number): void {
  if (k > cells) throw new Error(`${fn}: options.k = ${k} exceeds the ${cells} cells (H*W*C) of ${arg}`);
}

function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v === 'string' ? `'${v}'` : describe(v);
}
