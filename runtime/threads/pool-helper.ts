// A helper thread of the kernel pool: instantiates the shared-memory kernel build against the
// leader's memory, then waits on the control block and runs chunks of each task (pool-protocol.ts).
// It never returns to its event loop; the leader stops it through the STOP flag or terminates it.
import { FAILED, GEN, PENDING, STOP, runChunks } from './pool-protocol.js';
import { parentPort } from './worker-port.js';
import type { KernelExports } from '../wasm/exports.js';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
}

const port = await parentPort();
port.listen((message) => {
  const { module, memory, control, thread } = message as Start;
  let ex: KernelExports;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory, abort: onAbort } });
    ex = instance.exports as unknown as KernelExports;
  } catch (e) {
    port.post({ error: `kernel pool: thread ${thread} cannot instantiate the kernels: ${(e as Error).message}` });
    return;
  }
  port.post({ ready: true });
  serve(ex, new Int32Array(control), thread);
});

function serve(ex: KernelExports, ctl: Int32Array, thread: number): void {
  let seen = Atomics.load(ctl, GEN);
  for (;;) {
    Atomics.wait(ctl, GEN, seen);
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(ctl, STOP) !== 0) return;
    try {
      runChunks(ex, ctl, thread);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}

function onAbort(): never {
  throw new Error('anchorless: kernel assertion failed (a bug: please report it)');
}
