// The work of making one batch, the same in a loader worker and on the main thread: decode (through
// the shared cache), augment with each image's own seeded stream, make targets, assemble. Set up
// from plain data only, so a worker can be given the same setup the main thread has.
import { assembleBatch, type BatchData, type MakeTargets, type SampleConfig } from './batches.js';
import { ImageStore, type CacheLayout, type StoredImage } from './image-cache.js';
import { sampleRandom } from './sample-random.js';
import { loadTargetBuilder, type ResolvedTargetSpec } from './target-spec.js';
import type { BoxXYXY } from './types.js';

/** What a producer knows of each dataset image. */
export interface ProducerImage extends StoredImage {
  boxes: BoxXYXY[];
  classIds: number[];
  iscrowd: boolean[];
}

export interface ProducerSetup {
  images: ProducerImage[];
  cache: CacheLayout;
  config: SampleConfig;
  seed: number;
  targets?: ResolvedTargetSpec;
}

export type Producer = (epoch: number, indices: readonly number[]) => Promise<BatchData>;

export async function createProducer(setup: ProducerSetup): Promise<{ produce: Producer; store: ImageStore }> {
  const { images, config, seed, targets } = setup;
  const store = new ImageStore(images, setup.cache);
  let makeTargets: MakeTargets | undefined;
  if (targets) {
    const build = await loadTargetBuilder(targets);
    makeTargets = (boxes, classIds, crowd, visible) => build(targets, boxes, classIds, crowd, visible);
  }
  const produce: Producer = async (epoch, indices) => {
    // decodes run on sharp's thread pool, all of the batch at once
    const rgbs = await Promise.all(indices.map((i) => store.get(i)));
    const samples = indices.map((i, b) => ({ rgb: rgbs[b], objects: images[i], rng: sampleRandom(seed, epoch, i) }));
    try {
      return assembleBatch(samples, config, makeTargets);
    } catch (e) {
      const files = indices.map((i) => images[i].file);
      throw new Error(`batch of ${files.length} images (first ${files[0]}): ${(e as Error).message}`);
    }
  };
  return { produce, store };
}
