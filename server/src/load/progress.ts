/** A live status line, rewritten in place; only on a TTY, so that piped output and reports stay clean. */
export class ProgressLine {
  private readonly enabled: boolean;
  private timer?: NodeJS.Timeout;

  constructor(wanted: boolean, private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.enabled = wanted && stream.isTTY === true;
  }

  /** Redraws `render()` every `intervalMs` until `stop`. */
  start(render: () => string, intervalMs = 500): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.stream.write(`\r\x1b[2K${render()}`), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (!this.enabled) return;
    clearInterval(this.timer);
    this.stream.write('\r\x1b[2K');
  }
}
