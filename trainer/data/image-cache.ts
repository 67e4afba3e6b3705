// Decoded training images, decoded once: the RGB bytes of as many images as fit in a memory cap
// live in SharedArrayBuffers that the main thread and every loader worker see, so an image decoded
// by any of them is never decoded again; the images beyond the cap are decoded on every visit.
// Per image, a shared state word says empty / being written / ready; a reader uses the bytes only
// once it reads "ready" (Atomics), and a thread that finds an image being written by another
// decodes it for itself instead of waiting.
import { readImageRGB, type RgbImage } from './image-io.js';

const EMPTY = 0;
const WRITING = 1;
const READY = 2;

/** Largest shared buffer made; bigger caps use several. */
const CHUNK_BYTES = 1 << 30;

/** Where each cached image lives; plain data plus shared buffers, so it can go to workers as is. */
export interface CacheLayout {
  chunks: SharedArrayBuffer[];
  /** Per image: its chunk, or -1 when it is not cached. */
  chunk: Int32Array;
  /** Per image: byte offset in its chunk. */
  offset: Float64Array;
  /** Per image (shared): EMPTY, WRITING or READY. */
  state: Int32Array;
}

export interface StoredImage {
  file: string;
  width: number;
  height: number;
}

/**
 * Gives cache room to images in dataset order while their RGB bytes (width * height * 3, from the
 * annotations) fit in capBytes; an image that does not fit is skipped and later ones still tried.
 */
export function planImageCache(images: readonly { width: number; height: number }[], capBytes: number, chunkBytes = CHUNK_BYTES): CacheLayout {
  if (!(capBytes >= 0 && Number.isFinite(capBytes))) throw new Error(`cache: cap must be a non-negative number of bytes, got ${capBytes}`);
  const chunk = new Int32Array(images.length).fill(-1);
  const offset = new Float64Array(images.length);
  const sizes: number[] = [];
  let total = 0;
  let used = 0;
  images.forEach((img, i) => {
    const bytes = img.width * img.height * 3;
    if (total + bytes > capBytes || bytes > chunkBytes) return;
    if (sizes.length === 0 || used + bytes > chunkBytes) {
      sizes.push(0);
      used = 0;
    }
    chunk[i] = sizes.length - 1;
    offset[i] = used;
    used += bytes;
    sizes[sizes.length - 1] = used;
    total += bytes;
  });
  const state = new Int32Array(new SharedArrayBuffer(Math.max(4, images.length * 4)));
  return { chunks: sizes.map((s) => new SharedArrayBuffer(s)), chunk, offset, state };
}

/** Images of the layout that are in the cache now. */
export function countCached(layout: CacheLayout): number {
  let n = 0;
  for (let i = 0; i < layout.chunk.length; i++) if (Atomics.load(layout.state, i) === READY) n++;
  return n;
}

/** Images of the layout that have room in the cache. */
export function countCacheable(layout: CacheLayout): number {
  return layout.chunk.reduce((n, c) => n + (c >= 0 ? 1 : 0), 0);
}

/** Decoded images by dataset index, through the shared cache. */
export class ImageStore {
  constructor(
    private readonly images: readonly StoredImage[],
    private readonly layout: CacheLayout,
  ) {
    if (layout.chunk.length !== images.length) throw new Error(`cache: layout is for ${layout.chunk.length} images, the dataset has ${images.length}`);
  }

  /** RGB bytes of image i; a cache view must not be written to. */
  async get(i: number): Promise<RgbImage> {
    const img = this.images[i];
    if (!img) throw new Error(`cache: no image ${i} (dataset has ${this.images.length})`);
    const { chunk, offset, state, chunks } = this.layout;
    const bytes = img.width * img.height * 3;
    const c = chunk[i];
    if (c >= 0 && Atomics.load(state, i) === READY) {
      return { data: new Uint8Array(chunks[c], offset[i], bytes), width: img.width, height: img.height };
    }
    const rgb = await readImageRGB(img.file);
    if (rgb.width !== img.width || rgb.height !== img.height) {
      throw new Error(`image ${img.file}: decoded as ${rgb.width}x${rgb.height} but the annotations say ${img.width}x${img.height}`);
    }
    if (c >= 0 && Atomics.compareExchange(state, i, EMPTY, WRITING) === EMPTY) {
      new Uint8Array(chunks[c], offset[i], bytes).set(rgb.data);
      Atomics.store(state, i, READY);
    }
    return rgb;
  }
}
