// The worker behind a detector created in worker mode (remote-detector.ts): it builds the
// detector here, off the caller's thread, with the pool's shared-memory kernels when threads > 1,
// and answers create / detect / infer / close requests one at a time, in the order they came.
import { ObjectDetector, type DetectorOptions } from '../detector.js';
import { installKernels } from '../wasm/loader.js';
import { loadThreadedKernels } from './threaded-kernels.js';
import { parentPort } from './worker-port.js';
import type { Kernels } from '../wasm/loader.js';

export interface WorkerRequest {
  id: number;
  op: 'create' | 'detect' | 'infer' | 'close';
  args: unknown;
}

export interface CreateRequest {
  options: DetectorOptions;
  threads: number;
}

const port = await parentPort();
let detector: ObjectDetector | undefined;
let kernels: Kernels | undefined;
let queue: Promise<void> = Promise.resolve();

port.listen((message) => {
  const { id, op, args } = message as WorkerRequest;
  queue = queue.then(async () => {
    try {
      port.post({ id, result: await handle(op, args) });
    } catch (e) {
      port.post({ id, error: e instanceof Error ? e.message : String(e) });
    }
  });
});

async function handle(op: WorkerRequest['op'], args: unknown): Promise<unknown> {
  if (op === 'create') {
    const { options, threads } = args as CreateRequest;
    const { wasm, ...rest } = options;
    if (threads > 1) {
      kernels = await loadThreadedKernels(threads, wasm as WebAssembly.Module | BufferSource | undefined);
      installKernels(kernels);
    }
    detector = await ObjectDetector.create(threads > 1 || wasm === undefined ? rest : { ...rest, wasm });
    return { config: detector.config, inputSizes: detector.inputSizes, ...detector.remoteParts() };
  }
  if (!detector) throw new Error('the detector worker has no detector');
  if (op === 'detect') return detector.detect((args as { image: Parameters<ObjectDetector['detect']>[0] }).image);
  if (op === 'infer') {
    const { input, options } = args as { input: Parameters<ObjectDetector['infer']>[0]; options: Parameters<ObjectDetector['infer']>[1] };
    return detector.infer(input, options);
  }
  detector.close();
  kernels?.pool?.close();
  return null;
}
