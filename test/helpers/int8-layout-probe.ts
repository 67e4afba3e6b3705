// Run by test/engine-int8-layout.test.ts and test/runtimes/deno-int8.test.ts in another engine
// (Node with V8 flags, Deno): the relaxed build's int8 layout choice (engine/int8-layout.ts), and
// with a model path, every int8 layer of that model's plan checked against the quantised arithmetic
// in the chosen layout and in 'c4'. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { init } from '../../runtime/wasm/loader.js';
import { loadInt8Kernels } from '../../runtime/wasm/int8-loader.js';
import { int8LayoutFor } from '../../runtime/engine/int8-layout.js';
import { checkInt8Layers } from './int8-layers.js';

const kn = await init({ variant: 'relaxed' });
const k8 = await loadInt8Kernels(kn);
const before = kn.heap.allocatedBytes;
const choice = int8LayoutFor(k8);
const leaked = kn.heap.allocatedBytes - before;
const model = process.argv[2];
const checked = model ? { auto: await checkInt8Layers(kn, readFileSync(model), 'auto'), c4: await checkInt8Layers(kn, readFileSync(model), 'c4') } : undefined;
console.log(JSON.stringify({ ...choice, leaked, checked }));
