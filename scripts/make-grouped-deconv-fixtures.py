#!/usr/bin/python3
"""Grouped and depthwise transposed convolution (PyTorch ConvTranspose2d with groups), the cases the
runtime's grouped kernels and the trainer's grouped deconv are tested against: DLA-34's depthwise
up-sampling (k4 s2 p1, k8 s4 p2, groups = channels, no bias), channel counts below, at and above the
SIMD kernel's 4- and 16-channel steps, a general grouping (2 and 3 channels per group, in and out
differing), output padding, batch 2, and bias.

Usage: /usr/bin/python3 scripts/make-grouped-deconv-fixtures.py   (writes
test/fixtures/contract/conv2dTranspose-grouped.json; needs torch, which CI need not have: the
output is committed)
Format: as the shared contract cases: 4-D tensors NHWC; w [kh, kw, cout / groups, cin], i.e.
PyTorch's [cin, cout / groups, kh, kw] transposed (2, 3, 1, 0).
"""
import base64
import json
import os

import torch


def enc(t):
    t = t.detach().contiguous().to(torch.float32)
    return {"dtype": "f32", "shape": list(t.shape), "b64": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode()}


def case(g, n, h, w, cin, cout, groups, k, stride, pad, output_padding, bias, relu):
    x = torch.randn(n, cin, h, w, generator=g)
    conv = torch.nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=pad, output_padding=output_padding, groups=groups, bias=bias)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * 0.5)
        if bias:
            conv.bias.copy_(torch.randn(cout, generator=g))
        y = conv(x)
        if relu:
            y = torch.relu(y)
    out = {
        "x": enc(x.permute(0, 2, 3, 1)),
        "w": enc(conv.weight.permute(2, 3, 1, 0)),
        "stride": stride,
        "pad": pad,
        "outputPadding": output_padding,
        "groups": groups,
        "activation": "relu" if relu else "none",
        "y": enc(y.permute(0, 2, 3, 1)),
    }
    if bias:
        out["bias"] = enc(conv.bias)
    return out


def main():
    g = torch.Generator().manual_seed(20261201)
    cases = [
        # DLA-34's up-sampling: depthwise, no bias
        case(g, 1, 5, 6, 16, 16, 16, 4, 2, 1, 0, False, False),
        case(g, 1, 4, 3, 20, 20, 20, 8, 4, 2, 0, False, False),
        # channel tails of the SIMD kernel: 3 (scalar only), 7 (4 + 3), 36 (2 x 16 + 4)
        case(g, 1, 3, 4, 3, 3, 3, 4, 2, 1, 0, True, False),
        case(g, 2, 4, 5, 7, 7, 7, 3, 2, 1, 1, True, True),
        case(g, 1, 6, 5, 36, 36, 36, 4, 2, 1, 0, False, True),
        # stride 1, pad 0; stride 3
        case(g, 1, 4, 4, 5, 5, 5, 3, 1, 0, 0, True, False),
        case(g, 1, 3, 4, 4, 4, 4, 5, 3, 2, 2, False, False),
        # general groupings: 2 in / 3 out per group, 3 in / 1 out per group
        case(g, 1, 4, 5, 4, 6, 2, 4, 2, 1, 0, True, False),
        case(g, 2, 3, 3, 9, 3, 3, 3, 2, 0, 1, False, True),
    ]
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "contract", "conv2dTranspose-grouped.json")
    with open(path, "w") as f:
        json.dump(cases, f)
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
