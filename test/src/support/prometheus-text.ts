/** A Prometheus text exposition, read back: value by series (`name{labels}` as written). */
export class PrometheusText {
  readonly series = new Map<string, number>();

  constructor(text: string) {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      this.series.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }

  static async scrape(url: string, headers: Record<string, string> = {}): Promise<PrometheusText> {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    return new PrometheusText(await response.text());
  }

  /** The value of one series, labels in any order; 0 when it is not exposed. */
  value(name: string, labels: Record<string, string> = {}): number {
    const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    for (const [series, value] of this.series) {
      const brace = series.indexOf('{');
      const seriesName = brace < 0 ? series : series.slice(0, brace);
      if (seriesName !== name) continue;
      const present = brace < 0 ? [] : series.slice(brace + 1, -1).split(',');
      if (wanted.every((pair) => present.includes(pair)) && present.length === wanted.length) return value;
    }
    return 0;
  }

  /** The series whose names start with one of `prefixes`. */
  seriesStartingWith(prefixes: readonly string[]): string[] {
    return [...this.series.keys()].filter((series) => prefixes.some((prefix) => series.startsWith(prefix)));
  }
}
