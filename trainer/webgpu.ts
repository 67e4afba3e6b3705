// The WebGPU backend's set-up: navigator.gpu from the runtime where it has one (Deno, browsers)
// or, in Node, from the `webgpu` package (Dawn's Node bindings, its native binary shipped inside
// the package); an adapter, which automatic selection takes only when it is a real GPU; and
// @tensorflow/tfjs-backend-webgpu registered on a device of exactly that adapter.
//
// The order matters: tfjs-backend-webgpu registers itself on import only if navigator.gpu exists,
// so the package is imported after navigator.gpu is in place. Its own registration asks for an
// adapter again; ours replaces it so the backend runs on the adapter that was checked and named.
import type { TF } from './backend.js';
import { registerWebGpuAdam } from './webgpu-kernels/adam.js';
import { registerWebGpuConvBackpropFilter } from './webgpu-kernels/conv-backprop-filter.js';
import { registerWebGpuDeformConv } from './webgpu-kernels/deform-conv.js';
import { registerWebGpuDepthwiseBackpropFilter } from './webgpu-kernels/depthwise-backprop-filter.js';

export interface WebGpuAdapter {
  /** e.g. "SwiftShader driver 5.0.0 (google swiftshader, software)". */
  description: string;
  /** A software renderer (SwiftShader, lavapipe, WARP): isFallbackAdapter or a known CPU driver. */
  software: boolean;
}

const INSTALL = 'npm install webgpu @tensorflow/tfjs-backend-webgpu';
const DRIVERS =
  'it needs a Vulkan (Linux, Windows), Metal (macOS) or D3D12 (Windows) driver (on Linux with the Vulkan loader, libvulkan1; ' +
  "NVIDIA's Vulkan driver also needs glvnd, libglvnd0); a software adapter on Linux: " +
  "Mesa >= 25 lavapipe (Debian bookworm-backports: mesa-vulkan-drivers) or Chromium's SwiftShader " +
  '(Debian chromium, then VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)';
/** Drivers that render on the CPU, for adapters that do not say isFallbackAdapter. */
const SOFTWARE_DRIVERS = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

// Just the parts of the WebGPU API used here (the project's TypeScript lib has no WebGPU types).
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features?: { has(name: string): boolean };
  requestAdapterInfo?: () => Promise<AdapterInfo>;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<unknown>;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<Adapter | null>;
}
interface Probe {
  adapter: Adapter;
  info: AdapterInfo | undefined;
  described: WebGpuAdapter;
}

let probe: Promise<Probe> | undefined;
let registered: Promise<void> | undefined;

/**
 * Makes 'webgpu' a registered TensorFlow.js backend on the best adapter and returns that adapter;
 * throws an Error saying why not and what to install. A software adapter is refused unless
 * `allowSoftware` (it is several times slower than the wasm backend).
 */
export async function registerWebGpu(tf: TF, allowSoftware: boolean): Promise<WebGpuAdapter> {
  probe ??= findAdapter();
  const found = await probe.catch((e: Error) => {
    probe = undefined; // a later call (another driver installed meanwhile) tries again
    throw e;
  });
  if (found.described.software && !allowSoftware) {
    throw new Error(`the only WebGPU adapter is ${found.described.description}, slower than wasm: --backend webgpu uses it anyway`);
  }
  registered ??= registerOn(tf, found).catch((e: Error) => {
    registered = undefined;
    throw e;
  });
  await registered;
  return found.described;
}

async function findAdapter(): Promise<Probe> {
  const gpu = await navigatorGpu();
  let adapter: Adapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new Error(`requesting a WebGPU adapter failed (${firstLine((e as Error).message)}): ${DRIVERS}`);
  }
  if (!adapter) throw new Error(`no WebGPU adapter was found: ${DRIVERS}`);
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined));
  const name = info?.description || info?.device || 'an unnamed adapter';
  const detail = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  const software = Boolean(info?.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE_DRIVERS.test(`${name} ${detail}`);
  return { adapter, info, described: { description: `${name} (${detail ? `${detail}, ` : ''}${software ? 'software' : 'GPU'})`, software } };
}

/** The runtime's navigator.gpu, or in Node one made by the `webgpu` package. */
async function navigatorGpu(): Promise<Gpu> {
  const g = globalThis as { navigator?: { gpu?: Gpu } };
  if (g.navigator?.gpu) return g.navigator.gpu;
  let dawn: { create(flags: string[]): Gpu; globals: object };
  try {
    // A variable specifier: the package is an optional peer dependency.
    const specifier: string = 'webgpu';
    dawn = (await import(specifier)) as typeof dawn;
  } catch (e) {
    throw notInstalled(e, 'webgpu', "Dawn's native binding failed to load");
  }
  // Dawn's Vulkan back end (through the Vulkan loader) expects a runtime folder; CI has none
  if (process.env.XDG_RUNTIME_DIR === undefined) process.env.XDG_RUNTIME_DIR = (await import('node:os')).tmpdir();
  // the GPU* classes (GPUBufferUsage, ...) the backend refers to as globals
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  // Node 20 has no navigator; from Node 21 it exists and its gpu is a read-only getter
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

async function registerOn(tf: TF, { adapter, info }: Probe): Promise<void> {
  let pkg: { WebGPUBackend: new (device: never, info?: never) => unknown };
  try {
    const specifier: string = '@tensorflow/tfjs-backend-webgpu';
    pkg = (await import(specifier)) as typeof pkg;
  } catch (e) {
    throw notInstalled(e, '@tensorflow/tfjs-backend-webgpu', 'it failed to load');
  }
  // the limits tfjs-backend-webgpu's own registration asks for: the adapter's, not the defaults
  const limitNames = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
  // and, as its registration does, timestamp queries where the adapter has them: tf.profile's
  // kernel times (otherwise reported as 0)
  const requiredFeatures = adapter.features?.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(limitNames.map((k) => [k, adapter.limits[k]])), requiredFeatures });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  registerWebGpuConvBackpropFilter(tf);
  registerWebGpuDepthwiseBackpropFilter(tf);
  registerWebGpuAdam(tf);
  registerWebGpuDeformConv(tf);
  tf.registerBackend('webgpu', () => {
    const backend = new pkg.WebGPUBackend(device as never, info as never) as { thresholdToIncreaseWorkgroups?: number };
    // A MatMul with few 32x32 output tiles and a long inner dimension (>= 2000: DCNv2's columns at a
    // small resolution, a 1x1 conv on >= 2000 channels with batch 1) is split over that dimension by
    // tfjs-backend-webgpu, its parts added with float atomics in whatever order the GPU runs them:
    // results that differ from run to run, so no exact resume. No output counts as "few" tiles at a
    // threshold of 0, and the packed program (and the convs' default tiling) runs instead.
    backend.thresholdToIncreaseWorkgroups = 0;
    return backend as never;
  }, 3);
}

function notInstalled(e: unknown, pkg: string, otherwise: string): Error {
  const err = e as { code?: string; message?: string };
  if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && err.message?.includes(pkg)) {
    return new Error(`${pkg} is not installed (${INSTALL})`);
  }
  return new Error(`${pkg}: ${otherwise} (${firstLine(err.message)})`);
}

function firstLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n')[0];
}
