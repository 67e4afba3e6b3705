// The package's entry for Node, Deno and Bun (dist/bundle/index.js, scripts/build-bundle.mjs): the
// runtime, with init()'s calibration between the two kernel builds kept on disk per machine
// (wasm/calibration-cache.ts). Registered here rather than imported by the loader, so that a page's
// bundle (the 'browser' condition takes runtime/index.js) does not carry file-system code it cannot use.
import { setCalibrationStore } from '../wasm/calibrate.js';
import { openCalibrationStore } from '../wasm/calibration-cache.js';

setCalibrationStore(openCalibrationStore);

export * from '../index.js';
