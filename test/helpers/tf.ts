// TensorFlow.js on its plain cpu backend: the independent executable reference for conv,
// transposed conv, pooling and top-K in the tests.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

let ready: Promise<typeof tf> | undefined;

export function tfCpu(): Promise<typeof tf> {
  ready ??= tf.setBackend('cpu').then((ok) => {
    if (!ok) throw new Error('could not select the TensorFlow.js cpu backend');
    return tf;
  });
  return ready;
}
