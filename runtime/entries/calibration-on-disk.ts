// Gives init()'s calibration between the two kernel builds its cache on disk (wasm/calibration-cache.ts):
// imported for this effect by the Node, Deno and Bun entries (node.ts, and the CLI), never by the
// loader, so that a page's bundle does not carry file-system code it cannot use.
import { setCalibrationStore } from '../wasm/calibrate.js';
import { openCalibrationStore } from '../wasm/calibration-cache.js';

setCalibrationStore(openCalibrationStore);
