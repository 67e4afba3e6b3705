// The side-by-side benchmark as a picture: one horizontal bar per runtime, grouped by model, the
// bar's length its latency (each group on its own scale: the models differ 100x), ours in blue and
// the peers in grey, the time and the ratio to the group's first row written beside each bar.
// Hand-written SVG as trainer/util/metrics-plot.ts (no dependencies; GitHub renders it inline).
import { escapeXml } from '../runtime/util/escape-xml.js';

export interface BarGroup {
  title: string;
  rows: { label: string; ms: number; ours: boolean }[];
}

const W = 760;
const LABEL_W = 300;
const VALUE_W = 120;
const BAR_H = 16;
const ROW_GAP = 4;
const TITLE_H = 26;

export function barsSvg(groups: readonly BarGroup[], title: string): string {
  for (const g of groups) {
    for (const r of g.rows) if (!(r.ms > 0 && Number.isFinite(r.ms))) throw new Error(`barsSvg: ${g.title} / ${r.label}: ms must be a positive number, got ${r.ms}`);
  }
  const barW = W - LABEL_W - VALUE_W - 16;
  const height = 30 + groups.reduce((h, g) => h + TITLE_H + g.rows.length * (BAR_H + ROW_GAP) + 8, 0);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="8" y="18" font-size="13">${escapeXml(title)}</text>`);
  let y = 30;
  for (const g of groups) {
    out.push(`<text x="8" y="${y + 17}" font-weight="bold">${escapeXml(g.title)}</text>`);
    y += TITLE_H;
    const max = Math.max(...g.rows.map((r) => r.ms));
    const base = g.rows[0]?.ms;
    for (const r of g.rows) {
      const len = Math.max(1, (barW * r.ms) / max);
      out.push(`<text x="${LABEL_W - 6}" y="${y + BAR_H / 2}" text-anchor="end" dominant-baseline="middle">${escapeXml(r.label)}</text>`);
      out.push(`<rect class="bar" data-ms="${r.ms}" x="${LABEL_W}" y="${y}" width="${len.toFixed(1)}" height="${BAR_H}" fill="${r.ours ? '#1f77b4' : '#999'}"/>`);
      out.push(`<text x="${(LABEL_W + len + 6).toFixed(1)}" y="${y + BAR_H / 2}" dominant-baseline="middle">${formatMs(r.ms)} (${(r.ms / base).toFixed(2)}x)</text>`);
      y += BAR_H + ROW_GAP;
    }
    y += 8;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}
