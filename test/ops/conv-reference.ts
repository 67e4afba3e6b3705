// TensorFlow.js (cpu backend) references for the conv tests, built only from TF primitives so they
// share no code with the kernels: grouped conv = per-group tf.conv2d + concat; dilation = a filter
// with (d - 1) zeros between taps (TF refuses dilation together with stride); PyTorch transposed conv
// = TF's full ('valid') transposed conv, cropped by pad and extended by outputPadding rows of zeros;
// the weight gradient = per-tap strided slices of the padded input times dy (tf.matMul).
import type { Tensor } from '../../runtime/ops/tensor.js';
import { tfCpu } from '../helpers/tf.js';

export interface RefConvOptions {
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
  bias?: Float32Array;
  relu: boolean;
}

/** HWIO w [kh, kw, ci, co] -> [(kh-1)*dh+1, (kw-1)*dw+1, ci, co] with zeros between the taps. */
export function dilateFilter(w: Tensor, dh: number, dw: number): Tensor {
  const [kh, kw, ci, co] = w.shape;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(eh * ew * ci * co);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const src = (ky * kw + kx) * ci * co;
      const dst = (ky * dh * ew + kx * dw) * ci * co;
      out.set(w.data.subarray(src, src + ci * co), dst);
    }
  }
  return { data: out, shape: [eh, ew, ci, co] };
}

export async function refConv2d(x: Tensor, w: Tensor, o: RefConvOptions): Promise<Tensor> {
  const tf = await tfCpu();
  const wd = dilateFilter(w, o.dilation[0], o.dilation[1]);
  const cinG = w.shape[2];
  const coutG = w.shape[3] / o.groups;
  const y = tf.tidy(() => {
    const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
    const wt = tf.tensor4d(wd.data, wd.shape as [number, number, number, number]);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [o.pad[0], o.pad[1]], [o.pad[2], o.pad[3]], [0, 0]];
    const parts = [];
    for (let g = 0; g < o.groups; g++) {
      const xg = tf.slice(xt, [0, 0, 0, g * cinG], [-1, -1, -1, cinG]);
      const wg = tf.slice(wt, [0, 0, 0, g * coutG], [-1, -1, -1, coutG]);
      parts.push(tf.conv2d(xg, wg, o.stride, pad));
    }
    let out = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    if (o.bias) out = tf.add(out, tf.tensor1d(o.bias));
    if (o.relu) out = tf.relu(out);
    return out;
  });
  const data = new Float32Array(await y.data());
  const shape = y.shape;
  y.dispose();
  return { data, shape };
}

export interface RefConvTransposeOptions {
  stride: [number, number];
  pad: [number, number, number, number];
  outputPadding: [number, number];
  bias?: Float32Array;
  relu: boolean;
}

/** PyTorch ConvTranspose2d from TF: full output, crop [top, bottom, left, right], zero rows for outputPadding. */
export async function refConv2dTranspose(x: Tensor, w: Tensor, o: RefConvTransposeOptions): Promise<Tensor> {
  const tf = await tfCpu();
  const [n, h, wd] = x.shape;
  const [kh, kw, cout] = w.shape;
  const fullH = (h - 1) * o.stride[0] + kh;
  const fullW = (wd - 1) * o.stride[1] + kw;
  const full = tf.tidy(() =>
    tf.conv2dTranspose(
      tf.tensor4d(x.data, x.shape as [number, number, number, number]),
      tf.tensor4d(w.data, w.shape as [number, number, number, number]),
      [n, fullH, fullW, cout], o.stride, 'valid',
    ),
  );
  const f = await full.data();
  full.dispose();
  const [pt, pb, pl, pr] = o.pad;
  const oh = fullH - pt - pb + o.outputPadding[0];
  const ow = fullW - pl - pr + o.outputPadding[1];
  const out = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        for (let c = 0; c < cout; c++) {
          const fy = y + pt;
          const fx = xx + pl;
          let v = fy < fullH && fx < fullW ? f[((b * fullH + fy) * fullW + fx) * cout + c] : 0;
          if (o.bias) v = Math.fround(v + o.bias[c]);
          if (o.relu) v = Math.max(v, 0);
          out[((b * oh + y) * ow + xx) * cout + c] = v;
        }
      }
    }
  }
  return { data: out, shape: [n, oh, ow, cout] };
}

/**
 * dW of conv2d(x, w) for output gradient dy, tap by tap from TF ops: for each (ky, kx), the strided
 * slice of the zero-padded x that the tap sees, [pixels, cin/groups]^T x dy [pixels, cout/groups].
 */
export async function refBackpropFilter(x: Tensor, dy: Tensor, filterShape: number[], o: Omit<RefConvOptions, 'bias' | 'relu'>): Promise<Tensor> {
  const tf = await tfCpu();
  const [kh, kw, cinG, cout] = filterShape;
  const [n, oh, ow] = dy.shape;
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation;
  const coutG = cout / o.groups;
  const pixels = n * oh * ow;
  const out = new Float32Array(kh * kw * cinG * cout);
  const xt = tf.pad(tf.tensor4d(x.data, x.shape as [number, number, number, number]), [[0, 0], [o.pad[0], o.pad[1]], [o.pad[2], o.pad[3]], [0, 0]]);
  const dyt = tf.tensor4d(dy.data, dy.shape as [number, number, number, number]);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let g = 0; g < o.groups; g++) {
        const part = tf.tidy(() => {
          const seen = tf.stridedSlice(xt, [0, ky * dh, kx * dw, g * cinG], [n, ky * dh + (oh - 1) * sh + 1, kx * dw + (ow - 1) * sw + 1, (g + 1) * cinG], [1, sh, sw, 1]);
          const grad = tf.slice(dyt, [0, 0, 0, g * coutG], [-1, -1, -1, coutG]);
          return tf.matMul(tf.reshape(seen, [pixels, cinG]), tf.reshape(grad, [pixels, coutG]), true, false);
        });
        const v = await part.data();
        part.dispose();
        for (let ci = 0; ci < cinG; ci++) {
          for (let co = 0; co < coutG; co++) out[((ky * kw + kx) * cinG + ci) * cout + g * coutG + co] = v[ci * coutG + co];
        }
      }
    }
  }
  xt.dispose();
  dyt.dispose();
  return { data: out, shape: [kh, kw, cinG, cout] };
}
