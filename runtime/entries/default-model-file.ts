// `anchorless/models/default` for Node, Deno and Bun: the bundled default model's bytes, read once
// at import from the file beside this package's JavaScript (dist/models/default.bin).
// (`ObjectDetector.create()` without a model reads the same file; this entry is for code that
// wants the bytes, and keeps one import working in every runtime.)
import { readFileSync } from 'node:fs';

const model: Uint8Array = new Uint8Array(readFileSync(new URL('../../models/default.bin', import.meta.url)));
export default model;
