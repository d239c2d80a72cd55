import { addCell, byId, fillRows } from './dom.js';
import { operatorReadings, type OperatorReadings, type Scrape } from './operator-readings.js';
import { parsePrometheusText } from './prometheus-text.js';

const POLL_MS = 2_000;
const DASH = '–';

/** The operator tab: the node's own `/metrics`, read every 2 s while the tab is open. */
export class OperatorTab {
  private previous: Scrape | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  /** Starts reading (at once, then every 2 s). */
  show(): void {
    if (this.timer !== undefined) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  hide(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const response = await fetch('/metrics', { cache: 'no-store' });
      if (!response.ok) {
        this.note(`/metrics answered HTTP ${response.status}: the node may protect it with a token or serve it on another port.`);
        return;
      }
      const current: Scrape = { at: Date.now(), samples: parsePrometheusText(await response.text()) };
      this.render(operatorReadings(this.previous, current));
      this.previous = current;
      this.note('');
    } catch {
      this.note('The node cannot be reached for /metrics.');
    } finally {
      this.polling = false;
    }
  }

  private note(text: string): void {
    byId('op-note').textContent = text;
  }

  private render(readings: OperatorReadings): void {
    const show = (id: string, value: number | undefined, format: (value: number) => string): void => {
      byId(id).textContent = value === undefined ? DASH : format(value);
    };
    show('op-connections', readings.connections, (value) => String(Math.round(value)));
    show('op-messages-in', readings.messagesInPerSecond, perSecond);
    show('op-messages-out', readings.messagesOutPerSecond, perSecond);
    show('op-redis-lag', readings.redisLagMs, latency);
    show('op-events', readings.eventsDeliveredPerSecond, perSecond);
    show('op-fanout', readings.fanoutLatencyMs, latency);
    show('op-terminals', readings.terminalsOnline, (value) => String(Math.round(value)));
    show('op-cpu', readings.cpuPercent, (value) => `${value.toFixed(1)} %`);
    show('op-memory', readings.residentBytes, (value) => `${(value / 1024 / 1024).toFixed(0)} MiB`);
    show('op-loop-lag', readings.eventLoopLagMs, (value) => `${value.toFixed(1)} ms`);
    show('op-uptime', readings.uptimeSeconds, uptime);
    const rows = readings.series.map((series) => {
      const row = document.createElement('tr');
      addCell(row, 'name', series.name);
      addCell(row, 'num', Number.isInteger(series.value) ? String(series.value) : series.value.toFixed(3));
      addCell(row, 'num', series.perSecond === undefined ? '' : perSecond(series.perSecond));
      return row;
    });
    fillRows(byId<HTMLTableSectionElement>('op-series'), rows, 'The node exposes no tradehub_ or signalr_ series yet.', 3);
  }
}

function perSecond(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}/s`;
}

/** Sub-millisecond latencies matter here (Redis on loopback): two decimals below 10 ms. */
function latency(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

function uptime(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours}h ${String(minutes).padStart(2, '0')}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}
