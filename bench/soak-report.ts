/** The soak run's report: bench/SOAK.md (errors, RSS at start/middle/end, event-loop delay) and a hand-written SVG plot. */

/** One 5 s sample of keygate. */
export interface SoakSample {
  /** Seconds since the traffic started. */
  readonly at: number;
  readonly rssBytes: number;
  /** Event-loop delay of the window since the previous sample (prom-client's monitorEventLoopDelay). */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Requests the harness had in flight. */
  readonly inflight: number;
}

/** What the run did and saw. */
export interface SoakSummary {
  readonly seconds: number;
  readonly rate: number;
  readonly sent: number;
  /** Cold tokens sent before the timed run (cache warm-up), and how many got another status than 200. */
  readonly prefill: number;
  readonly prefillUnexpected: number;
  /** Policy rewrites by the harness, and reloads keygate counted as successful. */
  readonly reloads: number;
  readonly reloadsOk: number;
  /** Seconds into the run of the JWKS rotation. */
  readonly rotatedAt: number;
  readonly kinds: ReadonlyArray<{ kind: string; want: number; sent: number; unexpected: number }>;
  /** The first unexpected answers. */
  readonly unexpected: readonly string[];
  readonly samples: readonly SoakSample[];
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The value at a quantile of `xs` (nearest rank). */
function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** The markdown summary and the SVG plot. */
export function renderSoak(s: SoakSummary): { markdown: string; svg: string } {
  const n = s.samples.length;
  const at = (f: number): SoakSample | undefined => s.samples[Math.min(n - 1, Math.max(0, Math.round(f * (n - 1))))];
  const [first, mid, last] = [at(0), at(0.5), at(1)];
  const lags = s.samples.map((x) => x.lagP99Ms);
  const rss = s.samples.map((x) => x.rssBytes);
  const errors = s.kinds.reduce((a, k) => a + k.unexpected, 0);
  const rows = s.kinds.map((k) => `| ${k.kind} | ${k.want} | ${k.sent.toLocaleString('en')} | ${k.unexpected} |`).join('\n');
  const markdown = `# Soak run (issue #12 point 9)

\`npm run soak\` (SOAK_SECONDS=${s.seconds}, SOAK_RATE=${s.rate}): \`keygate serve\` in its own process against the Keycloak
look-alike, ${s.sent.toLocaleString('en')} forward-auth requests at a fixed ${s.rate}/s; the policy file rewritten every minute
(${s.reloads} rewrites, ${s.reloadsOk} successful reloads counted by keygate); one signing-key rotation at ${s.rotatedAt.toFixed(0)} s
(old key kept, as Keycloak keeps a passive key; cold tokens signed with the new key from then on); session access
tokens live 60 s, so every session is refreshed at the look-alike about once a minute. Before the timed run,
${s.prefill.toLocaleString('en')} distinct cold tokens filled keygate's verified-token cache to its 20,000-entry bound (${s.prefillUnexpected} got another status than 200), so the
RSS curve shows the steady state rather than the cache filling. Generated ${new Date().toISOString()} on this machine
(2 cores shared with other work).

**Unexpected statuses: ${errors}.**

| kind | status wanted | sent | unexpected |
|---|---|---|---|
${rows}

| | start | middle | end |
|---|---|---|---|
| keygate RSS | ${mib(first?.rssBytes ?? 0)} | ${mib(mid?.rssBytes ?? 0)} | ${mib(last?.rssBytes ?? 0)} |
| event-loop delay p99 of the 5 s window | ${(first?.lagP99Ms ?? 0).toFixed(1)} ms | ${(mid?.lagP99Ms ?? 0).toFixed(1)} ms | ${(last?.lagP99Ms ?? 0).toFixed(1)} ms |

RSS over the run: lowest ${mib(Math.min(...rss))}, highest ${mib(Math.max(...rss))}; mean of the first third ${mib(mean(rss.slice(0, Math.floor(n / 3))))},
of the last third ${mib(mean(rss.slice(n - Math.floor(n / 3))))} (garbage collection makes a sawtooth; flat means no upward trend between the thirds).

Event-loop delay over the run: p99 of the windows' p99 ${quantile(lags, 0.99).toFixed(1)} ms, median ${quantile(lags, 0.5).toFixed(1)} ms,
largest single delay ${Math.max(0, ...s.samples.map((x) => x.lagMaxMs)).toFixed(1)} ms (prom-client's monitorEventLoopDelay, 10 ms resolution, so ~10 ms is its floor).
${s.unexpected.length > 0 ? `\nFirst unexpected answers:\n\n${s.unexpected.map((u) => `- ${u}`).join('\n')}\n` : ''}
![RSS and event-loop delay over the run](soak.svg)
`;
  return { markdown, svg: plot(s) };
}

/** Two stacked line charts (RSS in MiB, event-loop p99 in ms) over time; plain SVG, no dependency. */
function plot(s: SoakSummary): string {
  const W = 640;
  const H = 150;
  const pad = 44;
  const xMax = Math.max(1, ...s.samples.map((x) => x.at));
  const chart = (top: number, label: string, values: readonly number[], unit: string, colour: string): string => {
    const yMax = Math.max(1, ...values) * 1.2;
    const pts = values.map((v, i) => `${(pad + ((s.samples[i]?.at ?? 0) / xMax) * (W - 2 * pad)).toFixed(1)},${(top + H - (v / yMax) * H).toFixed(1)}`).join(' ');
    return `<text x="${pad}" y="${top - 6}" font-size="12">${label}</text>
<line x1="${pad}" y1="${top + H}" x2="${W - pad}" y2="${top + H}" stroke="#888"/><line x1="${pad}" y1="${top}" x2="${pad}" y2="${top + H}" stroke="#888"/>
<text x="${pad - 4}" y="${top + 4}" font-size="10" text-anchor="end">${yMax.toFixed(0)}</text><text x="${pad - 4}" y="${top + H}" font-size="10" text-anchor="end">0 ${unit}</text>
<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts}"/>`;
  };
  const rot = s.rotatedAt >= 0 ? (pad + (s.rotatedAt / xMax) * (W - 2 * pad)).toFixed(1) : undefined;
  const total = 2 * H + 100;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${total}" viewBox="0 0 ${W} ${total}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${chart(24, 'keygate RSS (MiB)', s.samples.map((x) => x.rssBytes / 2 ** 20), 'MiB', '#1f77b4')}
${chart(H + 64, 'event-loop delay, p99 per 5 s window (ms)', s.samples.map((x) => x.lagP99Ms), 'ms', '#d62728')}
${rot === undefined ? '' : `<line x1="${rot}" y1="20" x2="${rot}" y2="${2 * H + 64}" stroke="#2ca02c" stroke-dasharray="4 3"/><text x="${rot}" y="${2 * H + 78}" font-size="10" text-anchor="middle">JWKS rotation</text>`}
<text x="${W / 2}" y="${total - 6}" font-size="11" text-anchor="middle">seconds (0-${xMax.toFixed(0)}); ${s.rate} requests/s; policy reload every 60 s</text>
</svg>
`;
}
