/** The port a peer server listens on, from PORT (0 picks a free one). */
export function portFromEnvironment(): number {
  const port = Number(process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a TCP port number, not '${process.env.PORT}'.`);
    process.exit(2);
  }
  return port;
}

/** Ends the process on SIGTERM/SIGINT after `close`, bounded so a stuck close cannot keep it alive. */
export function exitOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    setTimeout(() => process.exit(0), 2000).unref();
    close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
