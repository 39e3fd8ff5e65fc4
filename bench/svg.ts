/**
 * The benchmark's chart, as hand-written SVG: one row of panels per upstream latency, one panel per
 * scenario, a bar per target (its median over rounds) with a whisker from the lowest to the highest round.
 */

export interface Bar {
  label: string;
  value: number;
  min: number;
  max: number;
  color: string;
}

export interface Panel {
  title: string;
  /** Unit shown after values, e.g. "req/s", "ms". */
  unit: string;
  bars: Bar[];
  /** A dashed reference line (e.g. the bar the issue sets), with its label. */
  line?: { value: number; label: string };
  /** One line under the title, e.g. a ratio. */
  note?: string;
}

export interface ChartRow {
  label: string;
  panels: Panel[];
}

const PANEL_W = 250;
const PANEL_H = 230;
const PLOT_TOP = 62;
const PLOT_BOTTOM = 190;
const GAP = 18;
const LEFT = 120;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function panel(p: Panel, x: number, y: number): string {
  const out: string[] = [];
  out.push(`<g transform="translate(${x},${y})">`);
  out.push(`<rect width="${PANEL_W}" height="${PANEL_H}" rx="6" fill="#ffffff" stroke="#d1d5db"/>`);
  out.push(`<text x="10" y="20" font-size="13" font-weight="600">${esc(p.title)}</text>`);
  if (p.note) out.push(`<text x="10" y="38" font-size="11" fill="#374151">${esc(p.note)}</text>`);
  // A bar far above the others (the controller read direct, next to two proxies) would flatten them:
  // it is clipped at the top of the plot, with a break mark, and keeps its value label.
  const highs = p.bars.map((b) => Math.max(b.max, b.value)).sort((a, b) => b - a);
  const clipAt = highs.length > 1 && highs[0]! > 3 * highs[1]! ? highs[1]! * 1.6 : Infinity;
  const top = Math.max(1e-9, ...highs.map((v) => Math.min(v, clipAt)), p.line?.value ?? 0) * 1.15;
  const h = PLOT_BOTTOM - PLOT_TOP;
  const scale = (v: number) => PLOT_BOTTOM - (Math.min(Math.max(0, v), clipAt) / top) * h;
  out.push(`<line x1="8" x2="${PANEL_W - 8}" y1="${PLOT_BOTTOM}" y2="${PLOT_BOTTOM}" stroke="#9ca3af"/>`);
  const slot = (PANEL_W - 20) / Math.max(1, p.bars.length);
  const bw = Math.min(46, slot * 0.6);
  p.bars.forEach((b, i) => {
    const cx = 10 + slot * (i + 0.5);
    const yv = scale(b.value);
    out.push(
      `<rect x="${(cx - bw / 2).toFixed(1)}" y="${yv.toFixed(1)}" width="${bw.toFixed(1)}" height="${(PLOT_BOTTOM - yv).toFixed(1)}" fill="${b.color}"/>`,
    );
    if (Math.max(b.max, b.value) > clipAt) {
      const yb = (yv + 12).toFixed(1);
      out.push(
        `<path d="M${(cx - bw / 2 - 3).toFixed(1)} ${yb} l${(bw / 2 + 3).toFixed(1)} -6 l${(bw / 2 + 3).toFixed(1)} 6" stroke="#ffffff" stroke-width="3" fill="none"/>`,
      );
    } else if (b.max > b.min) {
      const y1 = scale(b.max).toFixed(1);
      const y2 = scale(b.min).toFixed(1);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y1}" y2="${y2}" stroke="#111827" stroke-width="1.2"/>`);
      out.push(`<line x1="${cx - 5}" x2="${cx + 5}" y1="${y1}" y2="${y1}" stroke="#111827" stroke-width="1.2"/>`);
      out.push(`<line x1="${cx - 5}" x2="${cx + 5}" y1="${y2}" y2="${y2}" stroke="#111827" stroke-width="1.2"/>`);
    }
    const labelY = Math.min(scale(b.max), yv) - 5;
    out.push(`<text x="${cx}" y="${labelY.toFixed(1)}" font-size="10.5" text-anchor="middle">${esc(fmt(b.value))}</text>`);
    out.push(`<text x="${cx}" y="${PLOT_BOTTOM + 15}" font-size="10.5" text-anchor="middle">${esc(b.label)}</text>`);
  });
  if (p.line) {
    const yl = scale(p.line.value).toFixed(1);
    out.push(`<line x1="8" x2="${PANEL_W - 8}" y1="${yl}" y2="${yl}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
    out.push(
      `<text x="${PANEL_W - 10}" y="${(Number(yl) - 3).toFixed(1)}" font-size="9.5" fill="#dc2626" text-anchor="end">${esc(p.line.label)}</text>`,
    );
  }
  out.push(`<text x="10" y="${PANEL_H - 10}" font-size="10" fill="#6b7280">${esc(p.unit)} (median; whisker: min-max of rounds)</text>`);
  out.push(`</g>`);
  return out.join("\n");
}

export function renderSvg(title: string, subtitles: string[], rows: ChartRow[]): string {
  const cols = Math.max(4, ...rows.map((r) => r.panels.length));
  const width = LEFT + cols * (PANEL_W + GAP) + GAP;
  const head = 40 + subtitles.length * 16;
  const height = head + rows.length * (PANEL_H + GAP) + GAP;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#f9fafb"/>`);
  out.push(`<text x="${GAP}" y="28" font-size="17" font-weight="700">${esc(title)}</text>`);
  subtitles.forEach((line, i) => out.push(`<text x="${GAP}" y="${50 + i * 16}" font-size="11.5" fill="#374151">${esc(line)}</text>`));
  rows.forEach((row, r) => {
    const y = head + r * (PANEL_H + GAP);
    out.push(`<text x="${GAP}" y="${y + PANEL_H / 2}" font-size="13" font-weight="600">${esc(row.label)}</text>`);
    row.panels.forEach((p, c) => out.push(panel(p, LEFT + c * (PANEL_W + GAP), y)));
  });
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
