/** The relay bench's report: JSON as measured, and an HTML page with a latency histogram (inline SVG, no scripts). */
import type { BenchReport } from './bench';

function histogram(values: number[], title: string, color: string): string {
  if (!values.length) return `<p>${title}: no samples</p>`;
  const min = Math.min(...values), max = Math.max(...values);
  const bins = 20, width = 600, height = 160, pad = 30;
  const span = max - min || 1;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - min) / span) * bins))]++;
  const top = Math.max(...counts);
  const bw = (width - 2 * pad) / bins;
  const bars = counts.map((c, i) => {
    const h = (c / top) * (height - 2 * pad);
    return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(height - pad - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${c}</title></rect>`;
  }).join('');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${title}">` +
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#333"/>${bars}` +
    `<text x="${pad}" y="${height - 8}" font-size="12">${min.toFixed(1)} ms</text>` +
    `<text x="${width - pad}" y="${height - 8}" font-size="12" text-anchor="end">${max.toFixed(1)} ms</text></svg>` +
    `<figcaption>${title} (${values.length} samples)</figcaption></figure>`;
}

const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!));

export function htmlReport(r: BenchReport, meta: { board: string; port: string; date: string }): string {
  const row = (name: string, s: BenchReport['closeMs']) =>
    `<tr><td>${name}</td><td>${s.n}</td><td>${s.min.toFixed(1)}</td><td>${s.median.toFixed(1)}</td><td>${s.p95.toFixed(1)}</td><td>${s.max.toFixed(1)}</td></tr>`;
  return `<!doctype html><meta charset="utf-8"><title>Relay bench: ${esc(meta.board)}</title>
<style>body{font:15px system-ui,sans-serif;max-width:720px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}.bad{color:#b00}.good{color:#070}</style>
<h1>Relay bench: ${esc(meta.board)}</h1>
<p>${esc(meta.date)}, port ${esc(meta.port)}. Times are the board's own clock, from the command reaching the phone-key code to the contact moving.</p>
<p class="${r.ok ? 'good' : 'bad'}"><b>${r.ok ? 'PASS' : 'FAIL'}</b>: ${r.cycles.length} cycles; ${r.attacks.refused}/${r.attacks.tried} wrong-key and replay attempts refused; contact moved after an attack ${r.attacks.contactMoved} times.</p>
<table><tr><th></th><th>n</th><th>min ms</th><th>median</th><th>p95</th><th>max</th></tr>${row('unlock → contact closed', r.closeMs)}${row('lock → contact open', r.openMs)}</table>
${histogram(r.cycles.map((c) => c.closeMs).filter((x): x is number => x !== null), 'unlock → contact closed', '#2a7')}
${histogram(r.cycles.map((c) => c.openMs).filter((x): x is number => x !== null), 'lock → contact open', '#27a')}
${r.problems.length ? '<h2>Problems</h2><ul>' + r.problems.map((p) => `<li class="bad">${esc(p)}</li>`).join('') + '</ul>' : ''}`;
}
