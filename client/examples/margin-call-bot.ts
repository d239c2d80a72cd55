/**
 * Example: a bot that reacts to margin calls, written against the public API of
 * `@tradehub/client` only.
 *
 * It follows a platform's margin events and every account (`accounts/*`), keeps their state in
 * the client's local view, and on each `margin_call` looks up the account's open positions to
 * decide what to do (here: name the position losing most, which a risk desk would close first).
 * Reconnects, node failover and token renewal are the client's business: the bot sees every
 * event once, in order, or a `reset` when a topic had to start over.
 *
 *   npm run build
 *   TRADEHUB_URL=http://127.0.0.1:5000 TRADEHUB_CLIENT_ID=demo-reader TRADEHUB_CLIENT_SECRET=demo-reader-secret \
 *     node client/examples/dist/margin-call-bot.js
 *
 * TRADEHUB_URL may list several nodes, separated by commas; TRADEHUB_PLATFORM defaults to demo.
 */
import { pathToFileURL } from 'node:url';
import {
  connect, Topics, type ConnectOptions, type EnvelopeOf, type EventStream, type LocalAccountView, type Position, type TradeEnvelope,
  type TradehubClient,
} from '@tradehub/client';

export interface MarginCall {
  login: string;
  marginLevel: number;
  /** The account as the bot's local state had it when the margin call arrived. */
  account: LocalAccountView | undefined;
  /** The open position losing most: the first one to look at, or to close. */
  worstPosition: Position | undefined;
  event: EnvelopeOf<'margin'>;
}

export interface MarginCallBotOptions {
  connect: ConnectOptions;
  platform: string;
  /** What to do about a margin call (awaited before the next event); default: log it. */
  onMarginCall?: (call: MarginCall) => void | Promise<void>;
  log?: (line: string) => void;
}

export class MarginCallBot {
  /** Every event the bot received, by topic, in order: its audit trail. */
  readonly received = new Map<string, TradeEnvelope[]>();
  readonly marginCalls: MarginCall[] = [];
  /** Topics that had to start over from a snapshot (events may have been missed there). */
  readonly resets: string[] = [];
  private loop: Promise<void> = Promise.resolve();

  private constructor(readonly client: TradehubClient, private readonly options: MarginCallBotOptions) {}

  /** Connects, subscribes, and resolves once the bot follows its topics. */
  static async start(options: MarginCallBotOptions): Promise<MarginCallBot> {
    const client = await connect(options.connect);
    const bot = new MarginCallBot(client, options);
    client.on('connection', ({ state, node, reason }) => bot.log(`connection ${state} (${node})${reason ? `: ${reason.message}` : ''}`));
    client.on('error', (error) => bot.log(`problem: ${error.message}`));
    // A large buffer: the bot must see every event, and handles margin calls one at a time.
    const stream = client.events([Topics.margin(options.platform), Topics.allAccounts(options.platform)], { bufferSize: 100_000 });
    bot.loop = bot.run(stream);
    // Reported here; `stop()` rethrows it.
    bot.loop.catch((error: unknown) => bot.log(`stopped: ${(error as Error).message}`));
    try {
      await stream.ready;
    } catch (error) {
      await client.close();
      throw error;
    }
    return bot;
  }

  /** How many events the bot received in all. */
  get eventCount(): number {
    let count = 0;
    for (const events of this.received.values()) count += events.length;
    return count;
  }

  /** Closes the connection; resolves once the bot's loop has ended (rejects with what ended it early). */
  async stop(): Promise<void> {
    await this.client.close();
    await this.loop;
  }

  private async run(stream: EventStream<string>): Promise<void> {
    for await (const item of stream) {
      if (item.kind === 'reset') {
        this.resets.push(item.topic);
        this.log(`${item.topic} starts over (${item.reason})`);
        continue;
      }
      if (item.kind === 'snapshot') continue;
      const event = item.event;
      let events = this.received.get(event.topic);
      if (!events) {
        events = [];
        this.received.set(event.topic, events);
      }
      events.push(event);
      if (event.type === 'margin' && event.data.kind === 'margin_call') await this.react(event);
    }
  }

  private async react(event: EnvelopeOf<'margin'>): Promise<void> {
    const account = this.client.state.account(this.options.platform, event.data.login);
    const worstPosition = account?.positions.reduce<Position | undefined>((worst, position) => (!worst || position.profit < worst.profit ? position : worst), undefined);
    const call: MarginCall = { login: event.data.login, marginLevel: event.data.marginLevel, account, worstPosition, event };
    this.marginCalls.push(call);
    try {
      await (this.options.onMarginCall ?? ((c: MarginCall) => this.log(describe(c))))(call);
    } catch (error) {
      this.log(`reacting to the margin call of ${call.login} failed: ${(error as Error).message}`);
    }
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(`[margin-call-bot] ${line}`);
  }
}

function describe(call: MarginCall): string {
  const worst = call.worstPosition;
  return `margin call for ${call.login} at ${call.marginLevel.toFixed(1)}%: `
    + (worst ? `close position ${worst.position} (${worst.symbol}, profit ${worst.profit}) first` : 'no open position known');
}

/** Run from the command line: until Ctrl+C. */
async function main(): Promise<void> {
  const url = (process.env.TRADEHUB_URL ?? 'http://127.0.0.1:5000').split(',');
  const bot = await MarginCallBot.start({
    platform: process.env.TRADEHUB_PLATFORM ?? 'demo',
    connect: {
      url,
      credentials: { clientId: process.env.TRADEHUB_CLIENT_ID ?? 'demo-reader', clientSecret: process.env.TRADEHUB_CLIENT_SECRET ?? 'demo-reader-secret' },
    },
  });
  console.log('[margin-call-bot] following margin calls; Ctrl+C to stop');
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  await bot.stop();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`[margin-call-bot] ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
