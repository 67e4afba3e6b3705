#!/usr/bin/python3
"""CornerNet-Saccade's training targets and loss, computed the way CornerNet-Lite's official code does.

The reference is a line-by-line transcription of the official sampler's target part
(core/sample/cornernet_saccade.py after the crop: clip_detections, create_attention_mask, the
min_scale / overlap rule, gaussian_radius and draw_gaussian of core/sample/utils.py) and of
CornerNet_Saccade_Loss (core/models/py_utils/losses.py: _focal_loss_mask on the corner heatmaps,
_focal_loss on the attention maps, _ae_loss, _off_loss), run in numpy and PyTorch. The sampler's
`overlap` (bbox_overlaps(cropped, uncropped) > 0.5) is given here as each box's visible share.

Usage: /usr/bin/python3 scripts/make-saccade-fixtures.py   (writes test/fixtures/contract/saccade.json;
needs numpy + torch, which CI need not have: the output is committed)

Format: "targets": images at the official 255 x 255 input (output 64, attention 16/32/64 at
ratios 16/8/4, gaussian_iou 0.5, min_scale 16), each with its boxes ([x1, y1, x2, y2] in input
pixels, some partly outside), classes, visible shares and the expected targets: heatmaps and valid
maps sparse as [[index, value], ...] in our [h, w, C] layout (valid maps: the indices that are 0),
attention maps as the indices that are 1, and the object slots (tags, offsets) in order.
"loss": one batch at a 63 x 63 input (output 16, attention 4/8/16), 2 stacks: the targets as
above, every head's logits (NHWC, { dtype, shape, b64 } as the other contract files), the loss's
parts and total, and d total / d logits of every head output.
"""
import base64
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'contract', 'saccade.json')
ATT_RANGES = [[96, 256], [32, 96], [0, 32]]
ATT_RATIOS = [16, 8, 4]
MIN_SCALE = 16
GAUSSIAN_IOU = 0.5


# ---- core/sample/utils.py (CornerNet-Lite) ----

def gaussian2D(shape, sigma=1):
    m, n = [(ss - 1.) / 2. for ss in shape]
    y, x = np.ogrid[-m:m + 1, -n:n + 1]
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < np.finfo(h.dtype).eps * h.max()] = 0
    return h


def draw_gaussian(heatmap, center, radius, k=1):
    diameter = 2 * radius + 1
    gaussian = gaussian2D((diameter, diameter), sigma=diameter / 6)
    x, y = center
    height, width = heatmap.shape[0:2]
    left, right = min(x, radius), min(width - x, radius + 1)
    top, bottom = min(y, radius), min(height - y, radius + 1)
    masked_heatmap = heatmap[y - top:y + bottom, x - left:x + right]
    masked_gaussian = gaussian[radius - top:radius + bottom, radius - left:radius + right]
    np.maximum(masked_heatmap, masked_gaussian * k, out=masked_heatmap)


def gaussian_radius(det_size, min_overlap):
    # CornerNet-Lite's roots: (b - sq) / 2a, (b - sq) / 2a, (b + sq) / 2a
    height, width = det_size
    a1, b1, c1 = 1, height + width, width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 - np.sqrt(b1 ** 2 - 4 * a1 * c1)) / (2 * a1)
    a2, b2, c2 = 4, 2 * (height + width), (1 - min_overlap) * width * height
    r2 = (b2 - np.sqrt(b2 ** 2 - 4 * a2 * c2)) / (2 * a2)
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (height + width), (min_overlap - 1) * width * height
    r3 = (b3 + np.sqrt(b3 ** 2 - 4 * a3 * c3)) / (2 * a3)
    return min(r1, r2, r3)


# ---- core/sample/cornernet_saccade.py, from the cropped detections on ----

def clip_detections(border, detections):
    detections = detections.copy()
    y0, y1, x0, x1 = border
    det_xs = detections[:, 0:4:2]
    det_ys = detections[:, 1:4:2]
    np.clip(det_xs, x0, x1 - 1, out=det_xs)
    np.clip(det_ys, y0, y1 - 1, out=det_ys)
    keep_inds = ((det_xs[:, 1] - det_xs[:, 0]) > 0) & ((det_ys[:, 1] - det_ys[:, 0]) > 0)
    keep_inds = np.where(keep_inds)[0]
    return detections[keep_inds], keep_inds


def create_attention_mask(atts, ratios, sizes, detections):
    for det in detections:
        width = det[2] - det[0]
        height = det[3] - det[1]
        max_hw = max(width, height)
        for att, ratio, size in zip(atts, ratios, sizes):
            if max_hw >= size[0] and max_hw <= size[1]:
                x = (det[0] + det[2]) / 2
                y = (det[1] + det[3]) / 2
                x = (x / ratio).astype(np.int32)
                y = (y / ratio).astype(np.int32)
                att[y, x] = 1


def saccade_targets(boxes, classes, visible, input_size, output_size, att_sizes, categories, max_objects=128):
    """One image's targets; boxes [n, 4] float32 in input pixels (after the crop), classes 0-based."""
    detections = np.concatenate([boxes, classes[:, None] + 1], axis=1).astype(np.float32)
    detections, keep = clip_detections([0, input_size[0], 0, input_size[1]], detections)
    overlaps = visible[keep] > 0.5
    tl_heats = np.zeros((categories, output_size[0], output_size[1]), dtype=np.float32)
    br_heats = np.zeros_like(tl_heats)
    tl_valids = np.zeros_like(tl_heats)
    br_valids = np.zeros_like(tl_heats)
    tl_regrs = np.zeros((max_objects, 2), dtype=np.float32)
    br_regrs = np.zeros((max_objects, 2), dtype=np.float32)
    tl_tags = np.zeros((max_objects,), dtype=np.int64)
    br_tags = np.zeros((max_objects,), dtype=np.int64)
    tag_len = 0
    attentions = [np.zeros((s[0], s[1]), dtype=np.float32) for s in att_sizes]
    create_attention_mask(attentions, ATT_RATIOS, ATT_RANGES, detections)
    width_ratio = output_size[1] / input_size[1]
    height_ratio = output_size[0] / input_size[0]
    for detection, overlap in zip(detections, overlaps):
        category = int(detection[-1]) - 1
        xtl, ytl = detection[0], detection[1]
        xbr, ybr = detection[2], detection[3]
        det_height = int(ybr) - int(ytl)
        det_width = int(xbr) - int(xtl)
        valid = max(det_height, det_width) >= MIN_SCALE
        fxtl, fytl = xtl * width_ratio, ytl * height_ratio
        fxbr, fybr = xbr * width_ratio, ybr * height_ratio
        xtl, ytl, xbr, ybr = int(fxtl), int(fytl), int(fxbr), int(fybr)
        width = math.ceil((detection[2] - detection[0]) * width_ratio)
        height = math.ceil((detection[3] - detection[1]) * height_ratio)
        radius = max(0, int(gaussian_radius((height, width), GAUSSIAN_IOU)))
        if overlap and valid:
            draw_gaussian(tl_heats[category], [xtl, ytl], radius)
            draw_gaussian(br_heats[category], [xbr, ybr], radius)
            tl_regrs[tag_len, :] = [fxtl - xtl, fytl - ytl]
            br_regrs[tag_len, :] = [fxbr - xbr, fybr - ybr]
            tl_tags[tag_len] = ytl * output_size[1] + xtl
            br_tags[tag_len] = ybr * output_size[1] + xbr
            tag_len += 1
        else:
            draw_gaussian(tl_valids[category], [xtl, ytl], radius)
            draw_gaussian(br_valids[category], [xbr, ybr], radius)
    tl_valids = (tl_valids == 0).astype(np.float32)
    br_valids = (br_valids == 0).astype(np.float32)
    tag_masks = np.zeros((max_objects,), dtype=np.uint8)
    tag_masks[:tag_len] = 1
    return dict(tl_heats=tl_heats, br_heats=br_heats, tl_valids=tl_valids, br_valids=br_valids, tl_regrs=tl_regrs,
                br_regrs=br_regrs, tl_tags=tl_tags, br_tags=br_tags, tag_masks=tag_masks, tag_len=tag_len, attentions=attentions)


# ---- core/models/py_utils/losses.py and utils.py (CornerNet-Lite) ----

def _sigmoid(x):
    return torch.clamp(x.sigmoid(), min=1e-4, max=1 - 1e-4)


def _tranpose_and_gather_feat(feat, ind):
    feat = feat.permute(0, 2, 3, 1).contiguous()
    feat = feat.view(feat.size(0), -1, feat.size(3))
    dim = feat.size(2)
    ind = ind.unsqueeze(2).expand(ind.size(0), ind.size(1), dim)
    return feat.gather(1, ind)


def _ae_loss(tag0, tag1, mask):
    # mask is uint8, as the sampler's tag_masks (torch 1.0 indexed with uint8 masks and added them
    # as numbers: with a bool mask, mask + mask stays bool and `eq(2)` would drop every push term)
    mask = mask.to(torch.uint8)
    num = mask.sum(dim=1, keepdim=True).float()
    tag0 = tag0.squeeze()
    tag1 = tag1.squeeze()
    tag_mean = (tag0 + tag1) / 2
    tag0 = torch.pow(tag0 - tag_mean, 2) / (num + 1e-4)
    tag0 = tag0[mask.bool()].sum()
    tag1 = torch.pow(tag1 - tag_mean, 2) / (num + 1e-4)
    tag1 = tag1[mask.bool()].sum()
    pull = tag0 + tag1
    mask = mask.unsqueeze(1).int() + mask.unsqueeze(2).int()
    mask = mask.eq(2)
    num = num.unsqueeze(2)
    num2 = (num - 1) * num
    dist = tag_mean.unsqueeze(1) - tag_mean.unsqueeze(2)
    dist = 1 - torch.abs(dist)
    dist = torch.nn.functional.relu(dist)
    dist = dist - 1 / (num + 1e-4)
    dist = dist / (num2 + 1e-4)
    dist = dist[mask]
    push = dist.sum()
    return pull, push


def _off_loss(off, gt_off, mask):
    num = mask.float().sum()
    mask = mask.bool().unsqueeze(2).expand_as(gt_off)
    off = off[mask]
    gt_off = gt_off[mask]
    return torch.nn.functional.smooth_l1_loss(off, gt_off, reduction="sum") / (num + 1e-4)


def _focal_loss_mask(preds, gt, mask):
    pos_inds = gt.eq(1)
    neg_inds = gt.lt(1)
    neg_weights = torch.pow(1 - gt[neg_inds], 4)
    pos_mask = mask[pos_inds]
    neg_mask = mask[neg_inds]
    loss = 0
    for pred in preds:
        pos_pred = pred[pos_inds]
        neg_pred = pred[neg_inds]
        pos_loss = torch.log(pos_pred) * torch.pow(1 - pos_pred, 2) * pos_mask
        neg_loss = torch.log(1 - neg_pred) * torch.pow(neg_pred, 2) * neg_weights * neg_mask
        num_pos = pos_inds.float().sum()
        pos_loss = pos_loss.sum()
        neg_loss = neg_loss.sum()
        if pos_pred.nelement() == 0:
            loss = loss - neg_loss
        else:
            loss = loss - (pos_loss + neg_loss) / num_pos
    return loss


def _focal_loss(preds, gt):
    return _focal_loss_mask(preds, gt, torch.ones_like(gt))


def saccade_loss(outs, targets, pull_weight=0.1, push_weight=0.1, off_weight=1):
    """CornerNet_Saccade_Loss.forward (CornerNet_Saccade.py: pull_weight = push_weight = 1e-1); also the parts."""
    tl_heats, br_heats, tl_tags, br_tags, tl_offs, br_offs, atts = outs
    gt_tl_heat, gt_br_heat, gt_mask, gt_tl_off, gt_br_off, gt_tl_ind, gt_br_ind, gt_tl_valid, gt_br_valid, gt_atts = targets
    tl_heats = [_sigmoid(t) for t in tl_heats]
    br_heats = [_sigmoid(b) for b in br_heats]
    focal_loss = _focal_loss_mask(tl_heats, gt_tl_heat, gt_tl_valid) + _focal_loss_mask(br_heats, gt_br_heat, gt_br_valid)
    atts = [[_sigmoid(a) for a in att] for att in atts]
    atts = [[att[ind] for att in atts] for ind in range(len(gt_atts))]
    att_loss = 0
    for att, gt_att in zip(atts, gt_atts):
        att_loss += _focal_loss(att, gt_att) / max(len(att), 1)
    pull_loss = 0
    push_loss = 0
    tl_tags = [_tranpose_and_gather_feat(t, gt_tl_ind) for t in tl_tags]
    br_tags = [_tranpose_and_gather_feat(b, gt_br_ind) for b in br_tags]
    for tl_tag, br_tag in zip(tl_tags, br_tags):
        pull, push = _ae_loss(tl_tag, br_tag, gt_mask)
        pull_loss += pull
        push_loss += push
    off_loss = 0
    tl_offs = [_tranpose_and_gather_feat(t, gt_tl_ind) for t in tl_offs]
    br_offs = [_tranpose_and_gather_feat(b, gt_br_ind) for b in br_offs]
    for tl_off, br_off in zip(tl_offs, br_offs):
        off_loss += _off_loss(tl_off, gt_tl_off, gt_mask)
        off_loss += _off_loss(br_off, gt_br_off, gt_mask)
    stacks = max(len(tl_heats), 1)
    loss = (focal_loss + att_loss + pull_weight * pull_loss + push_weight * push_loss + off_weight * off_loss) / stacks
    parts = dict(focal=focal_loss / stacks, attention=att_loss / stacks, pull=pull_loss / stacks, push=push_loss / stacks, offset=off_loss / stacks)
    return loss, parts


# ---- the cases ----

def enc(t):
    t = torch.as_tensor(t).detach().contiguous().to(torch.float32)
    if t.dim() == 4:
        t = t.permute(0, 2, 3, 1).contiguous()
    return {"dtype": "f32", "shape": list(t.shape), "b64": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode()}


def f32(v):
    return float(repr(np.float32(v)))


def sparse_hwc(chw, keep):
    """[[index, value]] of a [C, h, w] map in [h, w, C] order where keep(value)."""
    hwc = np.transpose(chw, (1, 2, 0)).reshape(-1)
    return [[int(i), f32(hwc[i])] for i in np.nonzero(keep(hwc))[0]]


def random_image(rng, n, input_size, categories, sizes):
    boxes, classes, visible = [], [], []
    for _ in range(n):
        side = rng.choice(sizes) * rng.uniform(0.6, 1.0)
        w, h = side * rng.uniform(0.5, 1.0), side * rng.uniform(0.5, 1.0)
        if rng.uniform() < 0.5:
            w, h = h, w
        x1 = rng.uniform(-0.3 * w, input_size[1] - 0.7 * w)
        y1 = rng.uniform(-0.3 * h, input_size[0] - 0.7 * h)
        boxes.append([x1, y1, x1 + w, y1 + h])
        classes.append(rng.randint(categories))
        visible.append(rng.choice([1.0, 1.0, rng.uniform(0.2, 1.0), 0.5]))
    return np.array(boxes, dtype=np.float32), np.array(classes, dtype=np.int64), np.array(visible, dtype=np.float64)


def target_case(rng, n, input_size, output_size, att_sizes, categories, sizes):
    boxes, classes, visible = random_image(rng, n, input_size, categories, sizes)
    t = saccade_targets(boxes, classes, visible, input_size, output_size, att_sizes, categories)
    k = t["tag_len"]
    return {
        "boxes": [[f32(v) for v in b] for b in boxes],
        "classIds": [int(c) for c in classes],
        "visible": [float(v) for v in visible],
        "tlHeatmap": sparse_hwc(t["tl_heats"], lambda v: v != 0),
        "brHeatmap": sparse_hwc(t["br_heats"], lambda v: v != 0),
        "tlValidZeros": [i for i, _ in sparse_hwc(t["tl_valids"], lambda v: v == 0)],
        "brValidZeros": [i for i, _ in sparse_hwc(t["br_valids"], lambda v: v == 0)],
        "attentionOnes": [[int(i) for i in np.nonzero(a.reshape(-1))[0]] for a in t["attentions"]],
        "tlIndex": [int(v) for v in t["tl_tags"][:k]],
        "brIndex": [int(v) for v in t["br_tags"][:k]],
        "tlOffset": [[f32(v) for v in r] for r in t["tl_regrs"][:k]],
        "brOffset": [[f32(v) for v in r] for r in t["br_regrs"][:k]],
    }, t


def main():
    rng = np.random.RandomState(20261204)
    categories = 2
    # at 255, the sizes span the three attention ranges and the min_scale cut
    sizes = [8, 14, 16, 20, 40, 90, 100, 200, 300]
    targets = [target_case(rng, n, [255, 255], [64, 64], [[16, 16], [32, 32], [64, 64]], categories, sizes)[0] for n in [1, 4, 8, 12, 16, 24]]

    # the loss: batch 2 at 63 x 63 (output 16, attention 4 / 8 / 16), 2 stacks
    b, stacks, oh = 2, 2, 16
    att_sizes = [[4, 4], [8, 8], [16, 16]]
    cases = [target_case(rng, n, [63, 63], [oh, oh], att_sizes, categories, [6, 12, 20, 30, 40, 60]) for n in [5, 7]]
    ts = [t for _, t in cases]
    stack = lambda key: torch.from_numpy(np.stack([t[key] for t in ts]))
    gt = [stack("tl_heats"), stack("br_heats"), stack("tag_masks"), stack("tl_regrs"), stack("br_regrs"), stack("tl_tags"), stack("br_tags"),
          stack("tl_valids"), stack("br_valids"), [torch.from_numpy(np.stack([t["attentions"][i] for t in ts]))[:, None] for i in range(3)]]
    g = torch.Generator().manual_seed(7)
    logits = lambda c, h, scale=2.0: torch.randn(b, c, h, h, generator=g).mul(scale).requires_grad_()
    heads = {
        "tl_heats": [logits(categories, oh) for _ in range(stacks)],
        "br_heats": [logits(categories, oh) for _ in range(stacks)],
        # embeddings within 1 of each other, so that push has terms
        "tl_tags": [logits(1, oh, 0.3) for _ in range(stacks)],
        "br_tags": [logits(1, oh, 0.3) for _ in range(stacks)],
        "tl_regrs": [logits(2, oh) for _ in range(stacks)],
        "br_regrs": [logits(2, oh) for _ in range(stacks)],
    }
    atts = [[logits(1, s[0]) for s in att_sizes] for _ in range(stacks)]
    outs = [heads["tl_heats"], heads["br_heats"], heads["tl_tags"], heads["br_tags"], heads["tl_regrs"], heads["br_regrs"], atts]
    total, parts = saccade_loss(outs, gt)
    total.backward()
    named = {**{name: ts_ for name, ts_ in heads.items()}, **{f"atts.{i}": [atts[s][i] for s in range(stacks)] for i in range(3)}}
    loss = {
        "inputSize": [63, 63],
        "outputSize": [oh, oh],
        "attentionSizes": att_sizes,
        "attentionStrides": ATT_RATIOS,
        "images": [c for c, _ in cases],
        "logits": {name: [enc(t) for t in ts_] for name, ts_ in named.items()},
        "grads": {name: [enc(t.grad) for t in ts_] for name, ts_ in named.items()},
        "parts": {k: float(v) for k, v in parts.items()},
        "total": float(total),
    }
    with open(OUT, "w") as f:
        json.dump({"source": "scripts/make-saccade-fixtures.py (torch %s)" % torch.__version__, "numClasses": categories, "targets": targets, "loss": loss}, f)
    print("wrote", OUT, os.path.getsize(OUT), "bytes; loss", float(total), {k: round(float(v), 5) for k, v in parts.items()})


main()
