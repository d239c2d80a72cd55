import { Counter, type Registry } from 'prom-client';

/** One series of a counter, as a plain number that hot paths add to. */
export interface CounterCell {
  value: number;
}

/**
 * A Prometheus counter whose series are plain numbers: the delivery path adds to a cell it
 * bound once (`cell.value += n`), with no call into prom-client, no label hashing and no
 * allocation; what was added since the last scrape is handed to prom-client when it collects.
 * Cells are made once per label set by code with a bounded set of values, never per request.
 */
export class CounterCells<Label extends string> {
  private readonly cells: Array<{ labels: Record<Label, string>; cell: CounterCell; reported: number }> = [];
  private readonly counter: Counter<Label>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly Label[]) {
    const cells = this.cells;
    this.counter = new Counter<Label>({
      name, help, labelNames: [...labelNames], registers: [registry],
      collect(this: Counter<Label>) {
        for (const entry of cells) {
          const delta = entry.cell.value - entry.reported;
          if (delta > 0) this.inc(entry.labels as Partial<Record<Label, string>>, delta);
          entry.reported = entry.cell.value;
        }
      },
    });
  }

  /** The cell of one label set, made on first use and then kept: call where the set of values is fixed (at start-up). */
  cell(labels: Record<Label, string>): CounterCell {
    const key = JSON.stringify(labels);
    const existing = this.cells.find((entry) => JSON.stringify(entry.labels) === key);
    if (existing) return existing.cell;
    const cell: CounterCell = { value: 0 };
    this.cells.push({ labels, cell, reported: 0 });
    // Exposed at 0 from the start, so that rates have a first sample.
    this.counter.inc(labels as Partial<Record<Label, string>>, 0);
    return cell;
  }
}
