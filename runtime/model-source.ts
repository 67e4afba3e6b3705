// Where a detector's weight file comes from: bytes the caller already has (any runtime), a path
// (Node, Deno, Bun), an http(s) URL (fetch), or nothing for the bundled default model.
import { nodeFs } from './util/node-fs.js';

export type ModelSource = Uint8Array | ArrayBuffer | string | URL;

/** The bundled default model, relative to the package root (models/ ships in the package). */
export const DEFAULT_MODEL_FILE = 'models/centernet-tiny-synth.safetensors';

export async function loadModelBytes(model: ModelSource | undefined): Promise<{ bytes: Uint8Array; source: string }> {
  if (model === undefined) return loadDefaultModel();
  if (model instanceof Uint8Array) return { bytes: model, source: '<model bytes>' };
  if (model instanceof ArrayBuffer) return { bytes: new Uint8Array(model), source: '<model bytes>' };
  if (typeof model === 'string' || model instanceof URL) {
    const source = String(model);
    if (source === '') throw new Error('ObjectDetector.create: options.model is an empty string');
    return { bytes: await readBytes(model, source), source };
  }
  throw new Error(`ObjectDetector.create: options.model must be a Uint8Array, ArrayBuffer, path or URL, got ${model === null ? 'null' : typeof model}`);
}

/** The default model's copy in the installed package (scripts/build-assets.mjs), beside dist/runtime/. */
const PACKAGED_MODEL_FILE = 'models/default.bin';

async function loadDefaultModel(): Promise<{ bytes: Uint8Array; source: string }> {
  // from runtime/ (tsx) the repository's file one level up; from dist/runtime/ the packaged copy
  let candidates: URL[];
  try {
    candidates = [new URL(`../${DEFAULT_MODEL_FILE}`, import.meta.url), new URL(`../${PACKAGED_MODEL_FILE}`, import.meta.url)];
  } catch {
    // workerd gives modules no URL: there are no files to read, the model must come in the bundle
    throw new Error(
      "ObjectDetector.create: this runtime has no files beside the package, so the default model cannot be read; " +
        "import it into your bundle and pass it: `import model from 'anchorless/models/default'; ObjectDetector.create({ model })`",
    );
  }
  for (const url of candidates) {
    try {
      return { bytes: await readBytes(url, url.href), source: url.protocol === 'file:' ? decodeURIComponent(url.pathname) : url.href };
    } catch {
      // try the next location
    }
  }
  throw new Error(
    `ObjectDetector.create: the bundled default model (${PACKAGED_MODEL_FILE}) was not found next to this package; pass options.model ` +
      "(in bundles and Workers: `import model from 'anchorless/models/default'`)",
  );
}

/**
 * A string is a URL when it starts with a scheme of two or more letters ("https:", "file:");
 * "C:\\models\\m.safetensors" or "C:/m.safetensors" is a Windows path with a drive letter.
 */
export function isUrlString(location: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(location);
}

async function readBytes(location: string | URL, source: string): Promise<Uint8Array> {
  let url: URL | undefined;
  if (location instanceof URL) url = location;
  else if (isUrlString(location)) {
    try {
      url = new URL(location);
    } catch {
      throw new Error(`model ${source}: not a valid URL`);
    }
  }
  if (url && url.protocol !== 'file:') {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`model ${source}: unsupported URL scheme "${url.protocol}" (http:, https: or file: only)`);
    let response: Response;
    try {
      response = await fetch(url);
    } catch (e) {
      // fetch's TypeError says only "fetch failed"; the reason is in its cause
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`model ${source}: cannot fetch it (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
    if (!response.ok) throw new Error(`model ${source}: HTTP ${response.status} ${response.statusText}`);
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      throw new Error(`model ${source}: the download broke off (${(e as Error).message})`);
    }
  }
  const fs = await nodeFs();
  if (!fs) throw new Error(`model ${source}: this runtime has no file system; pass the model bytes instead`);
  try {
    const data = await fs.readFile(url ?? (location as string));
    // a view, not a copy: `new Uint8Array(buffer)` would copy the file into fresh pages (~14 us per 4 KB on a cold start here)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`model ${source}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message})`);
  }
}
