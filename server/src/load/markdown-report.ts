import type { LatencySummary } from './latency.js';
import type { LoadReport } from './report.js';

const number = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const mb = (bytes: number) => `${number(bytes / 1024 / 1024, 1)} MB`;
const latencyCells = (latency: LatencySummary) => `${latency.p50} / ${latency.p99} / ${latency.p999} / ${latency.max} ms`;

/** The report as a Markdown summary: the figures a reader compares, then what went wrong. */
export function renderMarkdown(report: LoadReport): string {
  const lines: string[] = [
    `# tradehub-load: ${report.scenario}`,
    '',
    `${report.startedAt}, ${number(report.durationSeconds, 1)} s, ${report.ok ? '**ok**' : '**FAILED**'}`,
    '',
    `Settings: ${Object.entries(report.settings).map(([key, value]) => `${key}=${String(value)}`).join(', ')}`,
    '',
    '| Figure | Value |',
    '| --- | --- |',
  ];
  const row = (name: string, value: string) => lines.push(`| ${name} | ${value} |`);
  const { connect } = report;
  row('connections opened / failed', `${number(connect.opened)} / ${number(connect.failed)} of ${number(connect.target)}`);
  row('connects/s', number(connect.connectsPerSecond));
  row('connect time p50 / p99 / p99.9 / max', latencyCells(connect.connectTime));
  if (report.publish) {
    row(`published (${report.publish.via})`, `${number(report.publish.published)} at ${number(report.publish.achievedRate)}/s (target ${number(report.publish.targetRate)}/s), ${number(report.publish.failedEvents)} failed`);
  }
  if (report.delivery) {
    const d = report.delivery;
    row('delivered msgs/s (steady window, all subscribers)', `**${number(d.deliveredPerSecond)}**`);
    row('received / expected', `${number(d.received)} / ${number(d.expected)}`);
    if (d.closedByHub > 0) for (const [reason, count] of Object.entries(d.closeReasons)) row('honest subscribers closed', `${count} × "${reason}"`);
    row('missing / undelivered / duplicated / reordered', `${number(d.missing)} / ${number(d.undelivered)} / ${number(d.duplicated)} / ${number(d.reordered)}`);
    row('ticks conflated for subscribers that fell behind', number(d.conflated));
  }
  if (report.latency) row('latency p50 / p99 / p99.9 / max', `**${latencyCells(report.latency)}**`);
  if (report.reconnect) {
    const r = report.reconnect;
    row('reconnect: resumed / failed', `${number(r.resumed)} / ${number(r.failed)} of ${number(r.dropped)}`);
    row('reconnect: time until all resumed', `**${number(r.secondsUntilAllResumed, 2)} s**`);
    row('reconnect: events replayed by resume', number(r.resumedEvents));
  }
  if (report.slow) {
    const s = report.slow;
    row('slow subscribers: closed / still open', `${number(s.closed)} / ${number(s.stillOpen)} of ${number(s.slowSubscribers)}`);
    for (const [error, count] of Object.entries(s.closeErrors)) row('slow close error', `${count} × "${error}"`);
    row('honest latency without slow ones', latencyCells(s.honestBaseline));
    row('honest latency with slow ones', latencyCells(s.honestWithSlow));
  }
  if (report.soak) {
    row('soak: reconnect rounds', number(report.soak.reconnectRounds));
    row('soak: p99 drift', `${number(report.soak.p99DriftMsPerMinute, 3)} ms/min`);
    if (report.soak.rssDriftBytesPerMinute !== undefined) row('soak: server RSS drift', `${number(report.soak.rssDriftBytesPerMinute / 1024, 1)} KB/min`);
  }
  if (report.server) {
    const s = report.server;
    row('server CPU', `${number(s.cpuSeconds, 2)} s (${number(s.cpuCores * 100)} % of a core)`);
    row('server RSS start / end / max', `${mb(s.rssStartBytes)} / ${mb(s.rssEndBytes)} / ${mb(s.rssMaxBytes)}`);
    // Deliveries per CPU-second of the server: comparable across runs on a shared, noisy machine.
    if (report.delivery && s.cpuCores > 0) row('deliveries per server CPU-second', number(report.delivery.deliveredPerSecond / s.cpuCores));
    if (s.rssPerConnectionBytes !== undefined) row('server RSS per connection', `${number(s.rssPerConnectionBytes / 1024, 1)} KB`);
  }
  if (report.soak && report.soak.minutes.length > 0) {
    lines.push('', '| Minute | Delivered | p99 ms | Server RSS |', '| --- | --- | --- | --- |');
    for (const minute of report.soak.minutes) {
      lines.push(`| ${minute.minute} | ${number(minute.delivered)} | ${minute.latency.p99} | ${minute.rssBytes !== undefined ? mb(minute.rssBytes) : '-'} |`);
    }
  }
  const failures = { ...connect.failures, ...(report.publish?.errors ?? {}), ...(report.reconnect?.failures ?? {}) };
  if (Object.keys(failures).length > 0) {
    lines.push('', 'Errors:', '');
    for (const [error, count] of Object.entries(failures)) lines.push(`- ${count} × ${error}`);
  }
  if (report.problems.length > 0) {
    lines.push('', 'Problems:', '');
    for (const problem of report.problems) lines.push(`- ${problem}`);
  }
  return lines.join('\n') + '\n';
}
