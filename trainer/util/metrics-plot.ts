// metrics.svg: the training loss and the validation AP / AP50 over the steps of a run, drawn from
// metrics.jsonl's lines as a small hand-written SVG (no dependencies; any browser shows it).
// Loss on the left axis (from 0), AP on the right (from 0); the best validation is ringed.
// Every validation point carries data-step / data-ap / data-ap50, so tools (and tests) can read
// the numbers back.

import { escapeXml } from '../../runtime/util/escape-xml.js';

export interface MetricsLine {
  type: string;
  step: number;
  total?: number;
  AP?: number;
  AP50?: number;
}

/** At most this many loss points are drawn: longer runs average consecutive steps. */
const MAX_LOSS_POINTS = 1000;
const W = 640;
const H = 320;
const PAD = { left: 56, right: 56, top: 28, bottom: 40 };

export function metricsSvg(lines: readonly MetricsLine[], title = 'training'): string {
  const train = lines.filter((l) => l.type === 'train' && Number.isFinite(l.total) && Number.isFinite(l.step));
  const val = lines.filter((l) => l.type === 'val' && Number.isFinite(l.AP) && Number.isFinite(l.step));
  const lastStep = Math.max(1, ...train.map((l) => l.step), ...val.map((l) => l.step));
  const loss = average(train, Math.ceil(train.length / MAX_LOSS_POINTS));
  // the loss axis fits the 95th percentile: the first steps' loss (10x the rest) would flatten the
  // curve; what lies above is clipped
  const sorted = loss.map((p) => p[1]).sort((a, b) => a - b);
  const maxLoss = niceCeil(Math.max(1e-6, sorted[Math.floor(0.95 * (sorted.length - 1))] ?? 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (step: number) => fmt(PAD.left + (plotW * step) / lastStep);
  const yLoss = (v: number) => fmt(PAD.top + plotH * (1 - v / maxLoss));
  // AP's axis: 0..1, or 0..a round number above the highest AP50 while the numbers are small
  const apMax = Math.min(1, niceCeil(Math.max(1e-3, ...val.map((l) => Math.max(l.AP!, l.AP50 ?? 0)))));
  const yAp = (v: number) => fmt(PAD.top + plotH * (1 - v / apMax));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(title)}: loss and validation AP over steps</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<clipPath id="plot"><rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}"/></clipPath>`);
  // grid and axes: 5 divisions each
  for (let k = 0; k <= 5; k++) {
    const gy = fmt(PAD.top + (plotH * k) / 5);
    out.push(`<line x1="${PAD.left}" y1="${gy}" x2="${W - PAD.right}" y2="${gy}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle" fill="#1f77b4">${fmtTick(maxLoss * (1 - k / 5))}</text>`);
    out.push(`<text x="${W - PAD.right + 6}" y="${gy}" dominant-baseline="middle" fill="#d62728">${fmtTick(apMax * (1 - k / 5))}</text>`);
    const gx = fmt(PAD.left + (plotW * k) / 5);
    out.push(`<text x="${gx}" y="${H - PAD.bottom + 16}" text-anchor="middle">${Math.round((lastStep * k) / 5)}</text>`);
  }
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">step</text>`);
  out.push(`<text x="${PAD.left}" y="${PAD.top - 10}" fill="#1f77b4">training loss</text>`);
  out.push(`<text x="${W - PAD.right}" y="${PAD.top - 10}" text-anchor="end"><tspan fill="#d62728">val AP</tspan> <tspan fill="#ff9896">AP50</tspan></text>`);
  if (loss.length) out.push(`<polyline class="loss" clip-path="url(#plot)" fill="none" stroke="#1f77b4" stroke-width="1" points="${loss.map(([s, v]) => `${x(s)},${yLoss(v)}`).join(' ')}"/>`);
  const withAp50 = val.filter((l) => Number.isFinite(l.AP50));
  if (withAp50.length) out.push(`<polyline class="ap50" fill="none" stroke="#ff9896" stroke-width="1.5" points="${withAp50.map((l) => `${x(l.step)},${yAp(l.AP50!)}`).join(' ')}"/>`);
  if (val.length) out.push(`<polyline class="ap" fill="none" stroke="#d62728" stroke-width="2" points="${val.map((l) => `${x(l.step)},${yAp(l.AP!)}`).join(' ')}"/>`);
  let best: MetricsLine | undefined;
  for (const l of val) if (!best || l.AP! > best.AP!) best = l;
  for (const l of val) {
    const ap50 = Number.isFinite(l.AP50) ? ` data-ap50="${l.AP50}"` : '';
    out.push(`<circle class="val" cx="${x(l.step)}" cy="${yAp(l.AP!)}" r="2.5" fill="#d62728" data-step="${l.step}" data-ap="${l.AP}"${ap50}/>`);
  }
  if (best) {
    out.push(`<circle class="best" cx="${x(best.step)}" cy="${yAp(best.AP!)}" r="6" fill="none" stroke="#2ca02c" stroke-width="2" data-step="${best.step}" data-ap="${best.AP}"/>`);
    const anchor = best.step > 0.8 * lastStep ? 'end' : best.step < 0.2 * lastStep ? 'start' : 'middle';
    out.push(`<text x="${x(best.step)}" y="${fmt(Number(yAp(best.AP!)) - 10)}" text-anchor="${anchor}" fill="#2ca02c">best AP ${best.AP!.toFixed(3)} @ ${best.step}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Means of consecutive groups of `k` (step of the group's last line, mean loss). */
function average(train: readonly MetricsLine[], k: number): [number, number][] {
  if (k <= 1) return train.map((l) => [l.step, l.total!]);
  const out: [number, number][] = [];
  for (let i = 0; i < train.length; i += k) {
    const group = train.slice(i, i + k);
    out.push([group[group.length - 1].step, group.reduce((a, l) => a + l.total!, 0) / group.length]);
  }
  return out;
}

/** 1, 2 or 5 times a power of ten, at least v. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function fmtTick(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}
