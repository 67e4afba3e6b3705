// The package's entry for Node, Deno and Bun (dist/bundle/index.js, scripts/build-bundle.mjs): the
// runtime, with init()'s calibration between the two kernel builds kept on disk per machine
// (calibration-on-disk.ts). The 'browser' condition takes runtime/index.js, without it.
import './calibration-on-disk.js';

export * from '../index.js';
