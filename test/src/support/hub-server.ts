import { HubHost, type HubDefinition, type HubOptions, type TradehubMetrics } from '@tradehub/server';

export interface RunningHubServer {
  hubUrl: string;
  /** The host's counters (limit hits, paused connections). */
  metrics: TradehubMetrics;
  close(): Promise<void>;
}

/** Serves one hub written by the test at `/hub` on a random loopback port. */
export async function startHubServer(hub: HubDefinition, hubOptions: Partial<HubOptions> = {}): Promise<RunningHubServer> {
  const host = new HubHost({ shutdownGraceMs: 500 });
  host.mapHub({ path: '/hub', hub, hubOptions });
  const { port } = await host.listen(0, '127.0.0.1');
  return { hubUrl: `http://127.0.0.1:${port}/hub`, metrics: host.metrics, close: () => host.close() };
}
