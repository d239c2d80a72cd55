import type { ConnectionState, TradehubClient } from '@tradehub/client';
import { byId } from './dom.js';
import { milliseconds } from './format.js';

const PROBE_MS = 2_000;

/**
 * The connection strip: state, node, round-trip latency (a `GetServerInfo` call every 2 s) and
 * event lag (now on the server's clock minus the hub's accept time of the latest event). The
 * server clock is estimated from the same call, so that a browser clock that is off does not
 * show as lag. Counts reconnects and topic resets (`data-reconnects`, `data-resets`).
 */
export class StatusBar {
  private timer: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  /** Server clock minus browser clock, in ms. */
  private clockOffsetMs = 0;
  private reconnects = 0;
  private resets = 0;
  private client: TradehubClient | undefined;
  private stopListening: Array<() => void> = [];

  watch(client: TradehubClient): void {
    this.unwatch();
    this.client = client;
    this.setState(client.connectionState);
    this.showNode();
    this.stopListening = [
      client.on('connection', ({ state }) => {
        if (state === 'reconnecting') this.count('reconnects', ++this.reconnects);
        this.setState(state);
      }),
      client.on('status', () => this.showNode()),
    ];
    this.timer = setInterval(() => void this.probe(), PROBE_MS);
    void this.probe();
  }

  /** Stops following a client (signed out). */
  unwatch(): void {
    for (const stop of this.stopListening.splice(0)) stop();
    clearInterval(this.timer);
    this.timer = undefined;
    this.client = undefined;
  }

  setState(state: ConnectionState | 'signed out' | 'failed'): void {
    const element = byId('state');
    element.textContent = state;
    element.className = `pill ${state.replace(' ', '-')}`;
  }

  /** An event arrived: its lag, from the hub's accept time. */
  event(hubTime: number): void {
    byId('lag').textContent = milliseconds(Math.max(0, Date.now() + this.clockOffsetMs - hubTime));
  }

  reset(): void {
    this.count('resets', ++this.resets);
  }

  private count(name: 'reconnects' | 'resets', value: number): void {
    byId('status-bar').dataset[name] = String(value);
    byId(name).textContent = String(value);
  }

  private showNode(): void {
    byId('node').textContent = this.client?.connectionStatus?.nodeId ?? '–';
  }

  private async probe(): Promise<void> {
    const client = this.client;
    if (!client || this.probing || client.connectionState !== 'connected') return;
    this.probing = true;
    try {
      const sent = performance.now();
      const info = await client.serverInfo();
      const rtt = performance.now() - sent;
      this.clockOffsetMs = info.serverTime + rtt / 2 - Date.now();
      byId('rtt').textContent = milliseconds(rtt);
    } catch {
      // Reconnecting: the state pill says so, and the next probe measures again.
    } finally {
      this.probing = false;
    }
  }
}
