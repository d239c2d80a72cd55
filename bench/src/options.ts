/** Command-line options of `npm run bench`. */
export interface BenchOptions {
  /** Smaller N and shorter windows: a two-minute check that everything runs. */
  quick: boolean;
  /** Run only the workloads whose id contains one of these strings (all when empty). */
  only: string[];
  /** Where RESULTS.md and results.json go. */
  outDir: string;
  /** Rewrite RESULTS.md from the results.json in outDir without measuring anything. */
  renderOnly: boolean;
  help: boolean;
}

export const BENCH_USAGE = `Usage: npm run bench -- [--quick] [--only <workload>[,<workload>...]] [--out <dir>]

  --quick            smaller subscriber counts and shorter windows (about two minutes)
  --only <filter>    run only workloads whose id contains the filter (repeatable, comma separated),
                     e.g. --only saturation-1k or --only idle-memory
  --out <dir>        where RESULTS.md and results.json are written (default: bench)
  --render-only      rewrite RESULTS.md from the results.json already in --out, measuring nothing
  --help             this text`;

export class BenchOptionsError extends Error {}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { quick: false, only: [], outDir: 'bench', renderOnly: false, help: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const [name, inlineValue] = argument.startsWith('--') && argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
      : [argument, undefined];
    const value = (): string => {
      const next = inlineValue ?? argv[++index];
      if (next === undefined || next === '' || (inlineValue === undefined && next.startsWith('--'))) {
        throw new BenchOptionsError(`${name} needs a value.`);
      }
      return next;
    };
    switch (name) {
      case '--quick': options.quick = true; break;
      case '--render-only': options.renderOnly = true; break;
      case '--help': case '-h': options.help = true; break;
      case '--only': options.only.push(...value().split(',').map((part) => part.trim()).filter((part) => part !== '')); break;
      case '--out': options.outDir = value(); break;
      default: throw new BenchOptionsError(`Unknown option '${argument}'.\n${BENCH_USAGE}`);
    }
  }
  return options;
}

export function selectedBy(only: readonly string[], id: string): boolean {
  return only.length === 0 || only.some((filter) => id.includes(filter));
}
