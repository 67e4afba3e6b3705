// Loader worker thread: makes the batches the main thread's Loader asks for (decode, augment,
// targets) and transfers their buffers back instead of copying them.
// In: workerData.setup (ProducerSetup); messages { type: 'batch', id, epoch, indices }.
// Out: 'ready' | 'init-error' once, then per job { type: 'batch', id, data } or { type: 'error', id, message }.
import { parentPort, workerData } from 'node:worker_threads';
import { createProducer, type Producer, type ProducerSetup } from './batch-producer.js';
import { batchBuffers } from './batches.js';
import type { WorkerReply, WorkerRequest } from './loader.js';

const port = parentPort;
if (!port) throw new Error('trainer/data/loader-worker: runs only as a worker thread (started by createLoader)');

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

let produce: Producer | undefined;
try {
  produce = (await createProducer((workerData as { setup: ProducerSetup }).setup)).produce;
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'init-error', message: (e as Error).message });
}

if (produce) {
  const make = produce;
  // Jobs run concurrently: the decodes of the next batch (sharp's threads) overlap the
  // augmentation of this one (this thread). The main thread bounds how many are in flight.
  port.on('message', (job: WorkerRequest) => {
    make(job.epoch, job.indices).then(
      (data) => post({ type: 'batch', id: job.id, data }, batchBuffers(data)),
      (e: Error) => post({ type: 'error', id: job.id, message: e.message }),
    );
  });
}
