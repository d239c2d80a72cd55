import type { HubHost } from '../http/hub-host.js';

/** Shuts the host down gracefully on SIGINT or SIGTERM; a second signal exits at once. */
export function runUntilSignal(host: HubHost): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    host.logger.info({ signal }, 'shutting down: clients are told to reconnect');
    host.close().then(
      () => process.exit(0),
      (error: unknown) => {
        host.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
