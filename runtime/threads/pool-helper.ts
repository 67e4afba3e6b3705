// A helper thread of the kernel pool: instantiates the shared-memory kernel build against the
// leader's memory, then waits on the control block and runs chunks of each task (pool-protocol.ts).
// It leaves its wait loop only when the leader stops it (STOP, or terminate()) or raises MESSAGE
// to send it the int8 module (KernelPool.attachInt8): it then instantiates that module on the
// same memory, answers, and goes back to waiting.
import { FAILED, GEN, MESSAGE, PENDING, STOP, runChunks, type PoolInstances } from './pool-protocol.js';
import { parentPort } from './worker-port.js';
import type { KernelExports } from '../wasm/exports.js';
import type { Int8Exports } from '../wasm/int8-exports.js';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
}

interface AttachInt8 {
  int8: WebAssembly.Module;
}

const port = await parentPort();
let started: { on: PoolInstances; memory: WebAssembly.Memory; ctl: Int32Array; thread: number } | undefined;

port.listen((message) => {
  if (started === undefined) {
    const { module, memory, control, thread } = message as Start;
    try {
      const instance = new WebAssembly.Instance(module, { env: { memory, abort: onAbort } });
      started = { on: { main: instance.exports as unknown as KernelExports }, memory, ctl: new Int32Array(control), thread };
    } catch (e) {
      port.post({ error: `kernel pool: thread ${thread} cannot instantiate the kernels: ${(e as Error).message}` });
      return;
    }
  } else {
    const { on, memory, thread } = started;
    try {
      const instance = new WebAssembly.Instance((message as AttachInt8).int8, { env: { memory, abort: onInt8Abort } });
      on.int8 = instance.exports as unknown as Int8Exports;
    } catch (e) {
      on.int8 = undefined;
      replyThenServe(`kernel pool: thread ${thread} cannot instantiate the int8 kernels: ${(e as Error).message}`);
      return;
    }
  }
  replyThenServe();
});

/**
 * Answers the leader and serves tasks. The generation is read before the answer: the leader may
 * post its next task as soon as every helper has answered, and a helper must not miss it.
 */
function replyThenServe(error?: string): void {
  const { on, ctl, thread } = started!;
  const seen = Atomics.load(ctl, GEN);
  port.post(error === undefined ? { ready: true } : { error });
  serve(on, ctl, thread, seen);
}

function serve(on: PoolInstances, ctl: Int32Array, thread: number, seen: number): void {
  for (;;) {
    Atomics.wait(ctl, GEN, seen);
    const gen = Atomics.load(ctl, GEN);
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(ctl, STOP) !== 0) return;
    // back to the event loop, where the leader's message waits
    if (Atomics.load(ctl, MESSAGE) !== 0) return;
    try {
      runChunks(on, ctl, thread);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}

function onAbort(): never {
  throw new Error('anchorless: kernel assertion failed (a bug: please report it)');
}

function onInt8Abort(): never {
  throw new Error('anchorless: int8 kernel assertion failed (a bug: please report it)');
}
