// Where a detector's weight file comes from: bytes the caller already has (any runtime), a path
// (Node, Deno, Bun), an http(s) URL (fetch), or nothing for the bundled default model.

export type ModelSource = Uint8Array | ArrayBuffer | string | URL;

/** The bundled default model, relative to the package root (models/ ships in the package). */
export const DEFAULT_MODEL_FILE = 'models/centernet-tiny-synth.safetensors';

export async function loadModelBytes(model: ModelSource | undefined): Promise<{ bytes: Uint8Array; source: string }> {
  if (model === undefined) return loadDefaultModel();
  if (model instanceof Uint8Array) return { bytes: model, source: '<model bytes>' };
  if (model instanceof ArrayBuffer) return { bytes: new Uint8Array(model), source: '<model bytes>' };
  if (typeof model === 'string' || model instanceof URL) {
    const source = String(model);
    return { bytes: await readBytes(model, source), source };
  }
  throw new Error('ObjectDetector.create: model must be a Uint8Array, ArrayBuffer, path or URL');
}

async function loadDefaultModel(): Promise<{ bytes: Uint8Array; source: string }> {
  // from runtime/ (tsx) the package root is one level up; from dist/runtime/ two
  const candidates = [new URL(`../${DEFAULT_MODEL_FILE}`, import.meta.url), new URL(`../../${DEFAULT_MODEL_FILE}`, import.meta.url)];
  for (const url of candidates) {
    try {
      return { bytes: await readBytes(url, url.href), source: url.protocol === 'file:' ? decodeURIComponent(url.pathname) : url.href };
    } catch {
      // try the next location
    }
  }
  throw new Error(`ObjectDetector.create: the bundled default model (${DEFAULT_MODEL_FILE}) was not found next to this package; pass options.model`);
}

async function readBytes(location: string | URL, source: string): Promise<Uint8Array> {
  const url = typeof location === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(location) ? undefined : new URL(location);
  if (url && url.protocol !== 'file:') {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`model ${source}: HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  const fs = await import('node:fs/promises').catch(() => undefined);
  if (!fs) throw new Error(`model ${source}: this runtime has no file system; pass the model bytes instead`);
  try {
    return new Uint8Array(await fs.readFile(url ?? (location as string)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`model ${source}: cannot read the file (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
}
