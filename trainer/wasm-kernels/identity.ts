// Identity on the TF.js wasm backend as an alias of its input (the buffer's reference count raised),
// as the backend's own Reshape and the cpu backend's Identity do, instead of the wasm backend's copy.
// The engine clones every tensor a gradient saves (saveTensorsForBackwardMode, customGrad's save):
// ~285 full copies of activations in a centernet-tiny step (~15 ms of it, tf.profile). Tensors are
// immutable and no kernel writes into an input, so two tensors may share one buffer.
import type { DataId, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const NAME = 'Identity';

/** `original`: the wasm backend's own kernel, kept for string tensors (not on its heap). */
export function identityConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo | undefined;
    if (!x) throw new Error(`${NAME}: input x is missing`);
    if (x.dtype === 'string') return original.kernelFunc(args);
    const backend = args.backend as { incRef?: (dataId: DataId) => void };
    if (typeof backend.incRef !== 'function') throw new Error(`${NAME}: this kernel runs only on a backend that counts references (the TensorFlow.js wasm backend)`);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: NAME, backendName: 'wasm', kernelFunc };
}
