// A batch cut into contiguous shards of whole images, for data-parallel gradients: the input and
// every target array (image after image, the same length per image) are cut at the same images.
import type { Batch } from '../data/loader.js';

/** What a gradient computation needs of a batch. */
export type Shard = Pick<Batch, 'input' | 'shape' | 'targets'>;

/**
 * `batch` as min(parts, images) shards of consecutive images, sizes as equal as possible (the
 * first ones one larger when they do not divide). Views, not copies.
 */
export function splitBatch(batch: Shard, parts: number): Shard[] {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`splitBatch: parts must be a positive integer, got ${parts}`);
  const [n, h, w, c] = batch.shape;
  if (batch.input.length !== n * h * w * c) throw new Error(`splitBatch: input has ${batch.input.length} values, shape [${batch.shape}] needs ${n * h * w * c}`);
  for (const [key, arr] of Object.entries(batch.targets)) {
    if (arr.length % n !== 0) throw new Error(`splitBatch: target "${key}" has ${arr.length} values, not a whole number per image for ${n} images`);
  }
  const count = Math.min(parts, n);
  const shards: Shard[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = Math.floor(n / count) + (i < n % count ? 1 : 0);
    const cut = <T extends Float32Array | Int32Array>(arr: T): T => {
      const per = arr.length / n;
      return arr.subarray(start * per, (start + size) * per) as T;
    };
    shards.push({
      input: cut(batch.input),
      shape: [size, h, w, c],
      targets: Object.fromEntries(Object.entries(batch.targets).map(([k, v]) => [k, cut(v)])),
    });
    start += size;
  }
  return shards;
}
