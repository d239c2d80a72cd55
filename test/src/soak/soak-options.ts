import { parseArgs } from 'node:util';

export interface SoakOptions {
  minutes: number;
  readers: number;
  /** Events published per second. */
  rate: number;
  /** Share of readers whose connection is cut at each reconnect round. */
  reconnectFraction: number;
  reconnectEverySeconds: number;
  /** Where soak.json and SOAK.md go. */
  outDir: string;
}

export const SOAK_HELP = `npm run soak -- [options]

Runs one tradehub node (a child process, Redis at 127.0.0.1:6379 under a unique key prefix,
removed after), N typed-client readers and a publisher at a steady rate, on loopback only, for a
bounded time; samples the node's RSS and publish-to-receive latency per minute; writes
bench/soak.json and bench/SOAK.md. Exits 1 when an event was lost, duplicated or reordered.

  --minutes N            how long to publish (default 10)
  --readers N            typed-client readers (default 200)
  --rate N               events published per second (default 100)
  --reconnect-fraction F share of readers cut off at each reconnect round (default 0.1)
  --reconnect-every S    seconds between reconnect rounds (default 30)
  --out DIR              output directory (default bench)
  --help                 this text
`;

/** Reads the command line; undefined after printing the help. @throws Error naming a bad option */
export function parseSoakOptions(argv: string[]): SoakOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      readers: { type: 'string', default: '200' },
      rate: { type: 'string', default: '100' },
      'reconnect-fraction': { type: 'string', default: '0.1' },
      'reconnect-every': { type: 'string', default: '30' },
      out: { type: 'string', default: 'bench' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SOAK_HELP);
    return undefined;
  }
  return {
    minutes: numberIn('--minutes', values.minutes, 0.1, 24 * 60),
    readers: Math.round(numberIn('--readers', values.readers, 1, 5_000)),
    rate: numberIn('--rate', values.rate, 1, 20_000),
    reconnectFraction: numberIn('--reconnect-fraction', values['reconnect-fraction'], 0, 1),
    reconnectEverySeconds: numberIn('--reconnect-every', values['reconnect-every'], 1, 3_600),
    outDir: values.out,
  };
}

function numberIn(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, not '${text}'`);
  return value;
}
