#!/usr/bin/python3
"""Small torch.save checkpoints for the TypeScript checkpoint reader (runtime/weights/torch/).

Run with Debian's python3-torch: /usr/bin/python3 scripts/make-torch-fixtures.py
Writes test/fixtures/torch/: each checkpoint in both formats, the legacy stream
(_use_new_zipfile_serialization=False, as PyTorch 0.4-1.5 wrote it) and the zip archive, plus
expected.json: torch's own view of every tensor (dtype, shape, the contiguous elements) so the
reader is checked against PyTorch, not against itself.

Cases: every dtype the reader supports; non-contiguous views (a transpose, a slice with a storage
offset, a strided slice); two tensors sharing one storage; an OrderedDict with `_metadata`;
CenterNet's {'epoch', 'state_dict'} wrapper and CornerNet's bare `module.` dict.
"""
import collections
import json
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')
DTYPES = {
    torch.float32: 'float32',
    torch.float16: 'float16',
    torch.bfloat16: 'bfloat16',
    torch.float64: 'float64',
    torch.int64: 'int64',
    torch.int32: 'int32',
    torch.int16: 'int16',
    torch.int8: 'int8',
    torch.uint8: 'uint8',
    torch.bool: 'bool',
}


def dtype_tensors(g):
    """One small tensor per dtype, with values that exercise each type's range."""
    base = torch.randn(2, 3, generator=g) * 3
    out = collections.OrderedDict()
    out['f32'] = base.clone()
    out['f16'] = (base * 100).to(torch.float16)  # beyond 1 ulp of small values
    out['bf16'] = (base * 1e5).to(torch.bfloat16)
    out['f64'] = base.double() / 7
    out['i64'] = torch.tensor([[-(2 ** 40), 2 ** 53, -1], [0, 7, 2 ** 31]], dtype=torch.int64)
    out['i32'] = torch.tensor([[-(2 ** 31), 2 ** 31 - 1, -5], [0, 1, 123456]], dtype=torch.int32)
    out['i16'] = torch.tensor([-32768, 32767, -2, 3], dtype=torch.int16)
    out['i8'] = torch.tensor([-128, 127, -1, 0, 5], dtype=torch.int8)
    out['u8'] = torch.tensor([0, 255, 128, 1], dtype=torch.uint8)
    out['bool'] = torch.tensor([True, False, True], dtype=torch.bool)
    out['scalar'] = torch.tensor(2.5)
    out['empty'] = torch.zeros(0, 4)
    return out


def view_tensors(g):
    """Views whose storage is bigger than the tensor, or whose strides are not row-major."""
    big = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5) + 0.5
    out = collections.OrderedDict()
    out['transposed'] = big[0].t()  # stride (1, 5)
    out['sliced'] = big[1, 1:3, 2:]  # storage offset 27, stride (5, 1)
    out['stepped'] = big[2, ::2, 1::2]  # offset 41, stride (10, 2)
    out['permuted'] = big.permute(2, 0, 1)  # rank 3, stride (1, 20, 5)
    w = torch.randn(4, 3, generator=g)
    out['shared_a'] = w
    out['shared_b'] = w[1:]  # same storage, offset 3
    return out


def module_state_dict():
    """A real module's state_dict(): an OrderedDict with `_metadata` (set through the pickle's BUILD)."""
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))
    with torch.no_grad():
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
    return net.state_dict()


def describe(t):
    c = t.contiguous()
    entry = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'storage_offset': t.storage_offset(), 'stride': list(t.stride())}
    if t.dtype in (torch.float16, torch.bfloat16):
        entry['bits'] = (c.view(torch.int16).to(torch.int32) & 0xFFFF).flatten().tolist()
        entry['values'] = c.float().flatten().tolist()
    elif t.dtype == torch.int64:
        entry['values'] = [str(v) for v in c.flatten().tolist()]  # exact beyond 2^53
    elif t.dtype == torch.bool:
        entry['values'] = [int(v) for v in c.flatten().tolist()]
    else:
        entry['values'] = c.flatten().tolist()
    return entry


def save_both(obj, stem, expected, tensors, wrapper):
    for fmt, zip_ in (('legacy', False), ('zip', True)):
        name = f'{stem}.{fmt}.pth'
        torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=zip_)
        # What torch itself reads back: the reference the TypeScript reader must match.
        back = torch.load(os.path.join(OUT, name))
        back_tensors = back['state_dict'] if wrapper == 'state_dict' else back
        assert list(back_tensors.keys()) == list(tensors.keys())
        expected['files'][name] = {
            'format': fmt,
            'wrapper': wrapper,
            'epoch': obj.get('epoch') if wrapper == 'state_dict' else None,
            'keys': list(back_tensors.keys()),
            'metadata': {k: dict(v) for k, v in getattr(back_tensors, '_metadata', {}).items()} or None,
            'tensors': {k: describe(v) for k, v in back_tensors.items()},
        }


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20240601)
    expected = {'torch': torch.__version__, 'files': {}}

    # CenterNet's layout: {'epoch', 'state_dict'} around every dtype and every kind of view.
    sd = collections.OrderedDict()
    sd.update(dtype_tensors(g))
    sd.update(view_tensors(g))
    save_both({'epoch': 70, 'state_dict': sd}, 'wrapped', expected, sd, 'state_dict')

    # CornerNet's layout: a bare state_dict() with the `module.` prefix and `_metadata`.
    msd = module_state_dict()
    bare = collections.OrderedDict(('module.' + k, v) for k, v in msd.items())
    bare._metadata = collections.OrderedDict(('module.' + k if k else 'module', v) for k, v in msd._metadata.items())
    save_both(bare, 'bare', expected, bare, 'bare')

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.relpath(OUT)} (torch {torch.__version__})', file=sys.stderr)


if __name__ == '__main__':
    main()
