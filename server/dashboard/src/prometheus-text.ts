/** One sample of the Prometheus text exposition format: `name{label="value",...} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/** Reads the samples of a `/metrics` answer; comments and lines it does not understand are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line.trim());
    if (!match) continue;
    const value = Number(match[3]);
    const labels = parseLabels(match[2] ?? '');
    if (Number.isNaN(value) || !labels) continue;
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let match = LABEL.exec(text); match; match = LABEL.exec(text)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_all, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    consumed = LABEL.lastIndex;
  }
  return consumed === text.length ? labels : undefined;
}

/** The sum of a series over all its labels (those matching `where`), or undefined when it is not exposed. */
export function total(samples: readonly Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true): number | undefined {
  let sum: number | undefined;
  for (const sample of samples) {
    if (sample.name === name && where(sample.labels)) sum = (sum ?? 0) + sample.value;
  }
  return sum;
}
