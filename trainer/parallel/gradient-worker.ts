// Gradient worker thread: holds a replica of the model on its own TensorFlow.js backend; per step
// it loads the weights the training thread published, computes the gradients of its shard of the
// batch, and writes them into its shared buffer. It does not update batch-norm running statistics:
// as in PyTorch's DataParallel, only the training thread's replica keeps them.
import { parentPort, workerData } from 'node:worker_threads';
import type { Variable } from '@tensorflow/tfjs-core';
import { buildGraph } from '../../runtime/model/registry.js';
import { selectBackend } from '../backend.js';
import { initParams, trainableNames } from '../model/params.js';
import { shardGradients } from '../step.js';
import type { GradientReply, GradientRequest, GradientWorkerSetup } from './messages.js';

const port = parentPort;
if (!port) throw new Error('trainer/parallel/gradient-worker: runs only as a worker thread (started by GradientWorkers)');
const post = (reply: GradientReply) => port.postMessage(reply);
const setup = (workerData as { setup: GradientWorkerSetup }).setup;

try {
  const { tf } = await selectBackend(setup.backend, { log: () => {} });
  const graph = buildGraph(setup.config);
  const params = initParams(tf, graph);
  const trainable = params.trainable as Variable[];
  if (trainableNames(params).join() !== setup.names.join()) throw new Error('the replica\'s trainable parameters differ from the training thread\'s');
  const weights = new Float32Array(setup.weights);
  const grads = new Float32Array(setup.grads);
  post({ type: 'ready' });
  port.on('message', async (req: GradientRequest) => {
    try {
      let offset = 0;
      trainable.forEach((v, i) => {
        tf.tidy(() => v.assign(tf.tensor(weights.subarray(offset, offset + setup.sizes[i]), v.shape, 'float32')));
        offset += setup.sizes[i];
      });
      // running statistics: only the training thread's are kept, so the replica skips updating them
      const { grads: g, parts } = await shardGradients(tf, graph, params, req.shard, setup.config, setup.outputSize, false);
      const values = await Promise.all(trainable.map((v) => g[v.name].data() as Promise<Float32Array>));
      offset = 0;
      values.forEach((value, i) => {
        grads.set(value, offset);
        offset += setup.sizes[i];
      });
      tf.dispose(Object.values(g));
      post({ type: 'done', id: req.id, parts });
    } catch (e) {
      post({ type: 'error', id: req.id, message: (e as Error).message });
    }
  });
} catch (e) {
  post({ type: 'init-error', message: (e as Error).message });
}
