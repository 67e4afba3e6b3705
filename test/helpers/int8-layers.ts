// The int8 layers of an execution plan against the quantised arithmetic written out here in float64
// (codes of the observed input times codes of the stored weights, scales, bias, ReLU; a transposed
// conv as PyTorch's ConvTranspose2d sums), in either int8 layout. Used by test/quantize.test.ts and,
// in Deno, by test/runtimes/deno-int8-layers.ts (the relaxed dot product on an engine that has it).
import * as assert from 'uvu/assert';
import { ExecutionPlan } from '../../runtime/engine/plan.js';
import { int8PlanSteps } from '../../runtime/engine/int8-step.js';
import { inferShapes, type ConvNode, type DeconvNode } from '../../runtime/model/graph.js';
import { inferenceHeads } from '../../runtime/model/registry.js';
import { readModelFile } from '../../runtime/weights/model-file.js';
import type { Kernels } from '../../runtime/wasm/loader.js';

/** Nearest integer, halves to even, as the kernels' f32.nearest (written again here, not imported). */
function nearestEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/**
 * Runs an int8 model file's plan (on kn, in `layout`) on a fixed input and checks every int8 layer's
 * output against the quantised conv of its observed input. Returns how many layers it checked.
 */
export async function checkInt8Layers(kn: Kernels, bytes: Uint8Array, layout: 'c2' | 'c4' | 'auto'): Promise<number> {
  const file = readModelFile(bytes, 'int8');
  const heads = inferenceHeads(file.graph);
  const [h, w] = file.config.inputSize;
  const values = new Map<string, Float32Array>();
  const steps = await int8PlanSteps(kn, file.int8!, { layout });
  const plan = ExecutionPlan.build(kn, file.graph, file.tensors, heads, h, w, {
    int8: steps,
    observe: (name, v) => values.set(name, v.slice()),
  });
  const input = new Float32Array(h * w * 3);
  for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.37) * 2;
  plan.run(input);
  plan.release();
  // the inputs' sizes from the model definition; each conv's output size from its own parameters
  const inferred = inferShapes(file.graph, h, w);
  const shapeOf = (name: string): [number, number, number] => {
    const s = inferred.get(name)!;
    return [s.h, s.w, s.c];
  };
  let checked = 0;
  for (const [name, layer] of file.int8!) {
    const node = file.graph.nodes.find((n) => n.name === name) as ConvNode | DeconvNode;
    const x = values.get(node.inputs[0])!;
    const y = values.get(name)!;
    const [ih, iw, cin] = shapeOf(node.inputs[0]);
    const out = node.op === 'deconv'
      ? (n: number) => (n - 1) * node.stride - 2 * node.pad + node.kernel + node.outputPadding
      : (n: number) => Math.floor((n + 2 * node.pad - node.dilation * (node.kernel - 1) - 1) / node.stride) + 1;
    const [oh, ow, cout] = [out(ih), out(iw), node.cout];
    assert.is(y.length, oh * ow * cout, name);
    // 'c4' holds a non-negative input's calibrated range [0, 255 scale] in 7-bit codes 0..127
    const sevenBit = steps.layout === 'c4' && layer.input.codes === 'u8';
    const scale = sevenBit ? Math.fround((layer.input.scale * 255) / 127) : layer.input.scale;
    const [lo, hi] = sevenBit ? [0, 127] : layer.input.codes === 'u8' ? [0, 255] : [-127, 127];
    // the kernels multiply by the f32 reciprocal of the scale
    const inv = Math.fround(1 / scale);
    const qx = Float64Array.from(x, (v) => Math.min(hi, Math.max(lo, nearestEven(Math.fround(v * inv)))));
    // the integer sum of output (oy, ox, co): a conv's taps over its window; a transposed conv's
    // over every input pixel and tap that lands there (oy = iy stride - pad + ky), codes [k, k, cout, cin]
    const sum = (oy: number, ox: number, co: number) => {
      let acc = 0;
      for (let ky = 0; ky < node.kernel; ky++) {
        for (let kx = 0; kx < node.kernel; kx++) {
          if (node.op === 'deconv') {
            const ty = oy + node.pad - ky;
            const tx = ox + node.pad - kx;
            if (ty < 0 || tx < 0 || ty % node.stride !== 0 || tx % node.stride !== 0) continue;
            const [iy, ix] = [ty / node.stride, tx / node.stride];
            if (iy >= ih || ix >= iw) continue;
            for (let ci = 0; ci < cin; ci++) acc += qx[(iy * iw + ix) * cin + ci] * layer.codes[((ky * node.kernel + kx) * cout + co) * cin + ci];
          } else {
            const iy = oy * node.stride - node.pad + ky * node.dilation;
            const ix = ox * node.stride - node.pad + kx * node.dilation;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
            for (let ci = 0; ci < cin; ci++) acc += qx[(iy * iw + ix) * cin + ci] * layer.codes[((ky * node.kernel + kx) * cin + ci) * cout + co];
          }
        }
      }
      return acc;
    };
    let worst = 0;
    let peak = 0;
    // a sample of output pixels (all channels): corners, borders and the interior (both phases of a stride-2 transposed conv)
    for (let oy = 0; oy < oh; oy += Math.max(1, Math.floor(oh / 7))) {
      for (let ox = 0; ox < ow; ox += Math.max(1, Math.floor(ow / 7))) {
        for (const [py, px] of [[oy, ox], [Math.min(oh - 1, oy + 1), Math.min(ow - 1, ox + 1)]]) {
          for (let co = 0; co < cout; co++) {
            let want = sum(py, px, co) * scale * layer.scales[co] + layer.bias[co];
            if (node.act === 'relu') want = Math.max(0, want);
            const got = y[(py * ow + px) * cout + co];
            worst = Math.max(worst, Math.abs(got - want));
            peak = Math.max(peak, Math.abs(want));
          }
        }
      }
    }
    assert.ok(worst <= 2e-6 * Math.max(1, peak), `${name}: off by ${worst} (outputs up to ${peak})`);
    checked++;
  }
  assert.is(checked, file.int8!.size);
  return checked;
}
