#!/usr/bin/python3
"""Edge cases of modulated deformable convolution, computed with torchvision.ops.deform_conv2d.

Beyond the shared contract cases (test/fixtures/contract/deformConv2d.json, random offsets), these
put samples exactly on the border of the sampling domain (-1 and H or W give 0), on integer
positions, just inside it, and far outside it; use non-square kernels (tap order k = i*kw + j),
batch 2, stride 2 with dilation 2 and per-axis stride/padding.

Usage: /usr/bin/python3 scripts/make-deform-fixtures.py   (writes test/fixtures/contract/deformConv2d-edges.json;
needs torch + torchvision, which CI need not have: the output is committed)
Format: as the shared contract cases, 4-D tensors NHWC, w HWIO [kh, kw, cin, cout].
"""
import base64
import json
import os

import torch
from torchvision.ops import deform_conv2d


def enc(t):
    t = t.detach().contiguous().to(torch.float32)
    if t.dim() == 4 and enc.nchw:
        t = t.permute(0, 2, 3, 1).contiguous()
    return {"dtype": "f32", "shape": list(t.shape), "b64": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode()}


enc.nchw = True


def base_positions(out, stride, pad, dil, k):
    """[out, k] integer sampling positions before the offset, along one axis."""
    o = torch.arange(out).view(out, 1)
    i = torch.arange(k).view(1, k)
    return (o * stride - pad + i * dil).float()


def edge_offsets(g, n, size, out, stride, pad, dil, k):
    """Offsets [n, out, k] along one axis whose samples land on chosen targets: the border (-1, size),
    integer positions, just inside, far outside, or random."""
    base = base_positions(out, stride, pad, dil, k).expand(n, out, k)
    targets = torch.tensor([-1.0, float(size), 0.0, float(size - 1), -0.999, size - 0.001, -0.5, size - 0.5, -1e3, 1e3, 2.25])
    pick = torch.randint(0, len(targets) + 3, (n, out, k), generator=g)
    rand = (torch.rand(n, out, k, generator=g) * 6 - 3)
    chosen = torch.where(pick < len(targets), targets[pick.clamp(max=len(targets) - 1)] - base, rand)
    return chosen


def case(g, n, h, w, cin, cout, kh, kw, stride, pad, dil, label):
    sy, sx = stride
    py, px = pad
    dy, dx = dil
    oh = (h + 2 * py - dy * (kh - 1) - 1) // sy + 1
    ow = (w + 2 * px - dx * (kw - 1) - 1) // sx + 1
    x = torch.randn(n, cin, h, w, generator=g)
    weight = torch.randn(cout, cin, kh, kw, generator=g) * 0.3
    bias = torch.randn(cout, generator=g)
    kk = kh * kw
    # per tap i, j: dy depends on (oy, i), dx on (ox, j); mixed per pixel by a random choice
    offy = edge_offsets(g, n * ow * kw, h, oh, sy, py, dy, kh)  # [n*ow*kw, oh, kh]
    offx = edge_offsets(g, n * oh * kh, w, ow, sx, px, dx, kw)  # [n*oh*kh, ow, kw]
    offy = offy.view(n, ow, kw, oh, kh).permute(0, 3, 1, 4, 2)  # [n, oh, ow, kh, kw]
    offx = offx.view(n, oh, kh, ow, kw).permute(0, 1, 3, 2, 4)  # [n, oh, ow, kh, kw]
    off = torch.stack([offy, offx], dim=-1).reshape(n, oh, ow, 2 * kk).permute(0, 3, 1, 2).contiguous()
    mask = torch.rand(n, kk, oh, ow, generator=g)
    y = deform_conv2d(x, off, weight, bias, stride=stride, padding=pad, dilation=dil, mask=mask)
    return {
        "name": label,
        "x": enc(x), "offset": enc(off), "mask": enc(mask),
        "w": {"dtype": "f32", "shape": [kh, kw, cin, cout],
              "b64": base64.b64encode(weight.permute(2, 3, 1, 0).contiguous().numpy().astype("<f4").tobytes()).decode()},
        "bias": enc(bias), "stride": list(stride), "pad": list(pad), "dilation": list(dil), "y": enc(y),
    }


def main():
    g = torch.Generator().manual_seed(8)
    cases = [
        case(g, 1, 7, 6, 5, 7, 3, 3, (1, 1), (1, 1), (1, 1), "3x3 pad 1, samples on -1, H, W, integers, far outside"),
        case(g, 2, 9, 8, 6, 9, 3, 3, (2, 2), (2, 2), (2, 2), "batch 2, stride 2, dilation 2, pad 2"),
        case(g, 1, 5, 9, 4, 5, 2, 3, (1, 2), (0, 1), (1, 1), "2x3 kernel (tap order), stride [1, 2], pad [0, 1]"),
        case(g, 1, 6, 5, 9, 3, 1, 1, (1, 1), (0, 0), (1, 1), "1x1 with border and far offsets"),
        case(g, 1, 4, 4, 17, 12, 3, 3, (1, 1), (1, 1), (1, 1), "cin 17 (4-lane tail), cout 12"),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "contract", "deformConv2d-edges.json")
    with open(out, "w") as f:
        json.dump(cases, f)
    print("wrote", os.path.normpath(out), len(cases), "cases")


if __name__ == "__main__":
    main()
