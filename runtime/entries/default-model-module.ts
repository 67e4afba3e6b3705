// `anchorless/models/default` for Workers (the `workerd`, `worker`, `edge-light` conditions): the
// bundled default model as bytes, imported as a data module (wrangler's rule for `.bin`: an
// ArrayBuffer). `ObjectDetector.create({ model })` with it needs no file system and no fetch.
import data from '../../models/default.bin';

const model: Uint8Array = new Uint8Array(data);
export default model;
