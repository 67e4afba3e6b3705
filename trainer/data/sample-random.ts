// Seeded random draws for data loading: every random choice of the pipeline (epoch order, crop,
// flip, colour) comes from a stream keyed by integers, never from Math.random, so a batch is a pure
// function of (seed, epoch, image index) wherever it is made: main thread or worker, first run or
// resumed run.
import { mixSeed, mulberry32 } from './synth-scene.js';

/** Stream tags: the shuffle and the per-image augmentation never share a stream. */
const SHUFFLE_STREAM = 0x5348;
const SAMPLE_STREAM = 0x4155;

export class SampleRandom {
  private readonly next: () => number;
  /** Second Box-Muller value, kept for the next normal() call. */
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  /** Uniform in [lo, hi) (numpy's RandomState.uniform). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi) (numpy's randint(low, high)); needs hi > lo. */
  randint(lo: number, hi: number): number {
    return Math.min(hi - 1, lo + Math.floor(this.next() * (hi - lo)));
  }

  /** One element, uniformly (numpy's random.choice). */
  choice<T>(items: readonly T[]): T {
    return items[this.randint(0, items.length)];
  }

  /** Standard normal times `std` (Box-Muller; 1 - u keeps the log finite). */
  normal(std = 1): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v * std;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const t = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t) * std;
  }

  /** Fisher-Yates in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** The augmentation stream of dataset image `index` in `epoch`. */
export function sampleRandom(seed: number, epoch: number, index: number): SampleRandom {
  return new SampleRandom(mixSeed(SAMPLE_STREAM, seed, epoch, index));
}

/** The order in which an epoch visits the n images: a permutation of 0..n-1 from (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) new SampleRandom(mixSeed(SHUFFLE_STREAM, seed, epoch)).shuffle(order);
  return Int32Array.from(order);
}
