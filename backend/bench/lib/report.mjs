// The printed table, results/latest.json and the latency chart (SVG, no dependencies).

const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function printTable(results) {
  const rows = [
    ['scenario', 'app /s', 'raw /s', 'ratio', 'p50 ms', 'p99 ms', 'raw p99 ms', 'target', 'holds'],
    ...results.scenarios.map((s) => [
      s.name,
      fmt(s.app?.perSecond, 0),
      fmt(s.raw?.perSecond, 0),
      s.ratio === undefined ? '–' : `${fmt(s.ratio * 100, 0)} %`,
      fmt(s.app?.p50, 2),
      fmt(s.app?.p99, 2),
      fmt(s.raw?.p99, 2),
      s.target,
      s.holds ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
  for (const s of results.scenarios) if (s.notes?.length) console.log(`  ${s.name}: ${s.notes.join('; ')}`);
}

/** Grouped bars of p50 / p90 / p99 latency per scenario, app next to raw, on a log scale. */
export function latencyChart(results) {
  const series = results.scenarios.flatMap((s) => [
    s.app && Number.isFinite(s.app.p50) ? { label: `${s.name}`, kind: 'app', ...s.app } : null,
    s.raw && Number.isFinite(s.raw.p50) ? { label: `${s.name} (raw)`, kind: 'raw', ...s.raw } : null,
  ]).filter(Boolean);
  const width = 900;
  const rowHeight = 34;
  const left = 170;
  const top = 50;
  const height = top + series.length * rowHeight + 50;
  const max = Math.max(...series.map((s) => s.p99), 1);
  const minLog = Math.log10(0.1);
  const maxLog = Math.log10(Math.pow(10, Math.ceil(Math.log10(max))));
  // Room on the right for the figures written after the longest bar.
  const x = (ms) => left + ((Math.log10(Math.max(ms, 0.1)) - minLog) / (maxLog - minLog)) * (width - left - 200);
  const colours = { p50: '#4f6bed', p90: '#8fa2f7', p99: '#d9480f' };
  const bars = series
    .map((s, i) => {
      const y = top + i * rowHeight;
      const marks = ['p99', 'p90', 'p50']
        .map((key) => `<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(s[key]) - left).toFixed(1)}" height="18" fill="${colours[key]}" opacity="${s.kind === 'raw' ? 0.55 : 1}"><title>${s.label} ${key} ${fmt(s[key], 2)} ms</title></rect>`)
        .join('');
      return `<text x="${left - 8}" y="${y + 20}" text-anchor="end">${s.label}</text>${marks}<text x="${(x(s.p99) + 6).toFixed(1)}" y="${y + 20}" class="v">${fmt(s.p50, 1)} / ${fmt(s.p90, 1)} / ${fmt(s.p99, 1)} ms</text>`;
    })
    .join('\n');
  const ticks = [];
  for (let e = Math.round(minLog); e <= maxLog; e++) {
    const value = Math.pow(10, e);
    ticks.push(`<line x1="${x(value)}" y1="${top - 6}" x2="${x(value)}" y2="${height - 40}" stroke="#ccc"/><text x="${x(value)}" y="${height - 24}" text-anchor="middle" class="v">${value} ms</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">
<style>.v { fill: #555; font-size: 11px; }</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="24" font-size="15" font-weight="600">Iris latency per scenario (p50 / p90 / p99, log scale) — ${results.machine.cpus} × ${results.machine.cpuModel}</text>
<text x="${left}" y="40" class="v">${results.startedAt} · app bars solid, raw pg baseline faded · blue p50, light blue p90, orange p99</text>
${ticks.join('\n')}
${bars}
</svg>
`;
}
