import { Topics, type Subscription, type SymbolInfo, type Tick, type Timeframe, type TopicItem, type TradehubClient } from '@tradehub/client';
import { AccountPanel } from './account-panel.js';
import { ChartPanel } from './chart-panel.js';
import { DealsFeed } from './deals-feed.js';
import { byId } from './dom.js';
import { QuotesPanel } from './quotes-panel.js';
import type { StatusBar } from './status-bar.js';

/** What the desk shows: a platform, one of its logins, and the chart's symbol and timeframe. */
export interface DeskChoice {
  platform: string;
  login: string;
}

/**
 * The desk of one connected client: subscribes to a platform's status, symbols and ticks, one
 * login's account (and the platform's margin events when the token may read them) and the
 * chart's bars, and feeds the panels. The typed client resumes every subscription after a
 * reconnect, so the panels go on from where they were; a topic that had to start over sends a
 * `reset` and a fresh snapshot.
 */
export class DeskSession {
  private readonly quotes: QuotesPanel;
  private readonly chart: ChartPanel;
  private readonly account: AccountPanel;
  private readonly deals: DealsFeed;
  private subscriptions: Subscription[] = [];
  private choice: DeskChoice = { platform: '', login: '' };
  private symbol = '';
  private timeframe: Timeframe = 'M1';
  private frame = 0;
  private readonly stopListening: () => void;
  /** Removes the session's listeners on the page's pickers when it closes. */
  private readonly pickers = new AbortController();

  constructor(private readonly client: TradehubClient, private readonly status: StatusBar, private readonly problem: (message: string) => void) {
    this.quotes = new QuotesPanel((symbol) => this.symbolInfo(symbol)?.digits, (symbol) => this.pickSymbol(symbol));
    this.chart = new ChartPanel(byId('chart'));
    this.account = new AccountPanel({ tick: (symbol) => this.tick(symbol), symbol: (symbol) => this.symbolInfo(symbol) });
    this.deals = new DealsFeed((symbol) => this.symbolInfo(symbol)?.digits);
    this.stopListening = client.on('change', () => this.scheduleRender());
    const { signal } = this.pickers;
    byId('symbol').addEventListener('change', (event) => this.pickSymbol((event.target as HTMLSelectElement).value), { signal });
    for (const button of document.querySelectorAll<HTMLButtonElement>('#timeframes button')) {
      button.addEventListener('click', () => this.pickTimeframe(button.value as Timeframe), { signal });
    }
  }

  /** Shows a platform and login: what was shown before is unsubscribed and cleared. */
  async open(choice: DeskChoice): Promise<void> {
    this.unsubscribe();
    this.choice = choice;
    this.symbol = '';
    this.quotes.clear();
    this.deals.clear();
    this.account.clear();
    const { platform, login } = choice;
    const results = await Promise.allSettled([
      this.client.subscribe(Topics.status(platform), (item) => this.track(item, choice)),
      this.client.subscribe(Topics.symbols(platform), (item) => {
        if (this.track(item, choice)) this.chart.setDigits(this.symbolInfo(this.symbol)?.digits);
      }),
      this.client.subscribe(Topics.allTicks(platform), (item) => {
        if (!this.track(item, choice)) return;
        if (item.kind === 'snapshot' && item.snapshot.kind === 'ticks') {
          // The snapshot's order is the store's (a Redis set's is arbitrary): chart the first symbol by name, as the quotes list them.
          const ticks = [...item.snapshot.ticks].sort((a, b) => a.symbol.localeCompare(b.symbol));
          ticks.forEach((tick) => this.onTick(tick));
        } else if (item.kind === 'event' && item.event.type === 'tick') this.onTick(item.event.data);
      }),
      this.client.subscribe(Topics.account(platform, login), (item) => {
        if (this.track(item, choice) && item.kind === 'event' && item.event.type === 'deal') this.deals.add(item.event.data);
      }),
    ]);
    for (const result of results) {
      if (result.status === 'fulfilled') this.keep(result.value, choice);
      else if (choice === this.choice) this.problem(result.reason instanceof Error ? result.reason.message : String(result.reason));
    }
    // Margin calls of every login: only tokens without a login restriction may read them; the margin level still shows without.
    this.client.subscribe(Topics.margin(platform), (item) => {
      if (this.track(item, choice) && item.kind === 'event' && item.event.type === 'margin' && item.event.data.login === login) this.account.marginEvent(item.event.data);
    }).then((subscription) => this.keep(subscription, choice), () => undefined);
    this.scheduleRender();
  }

  close(): void {
    this.unsubscribe();
    this.chart.remove();
    this.stopListening();
    this.pickers.abort();
    cancelAnimationFrame(this.frame);
  }

  /** Keeps a subscription of the current choice; one that completes after another platform or login was picked ends at once. */
  private keep(subscription: Subscription, choice: DeskChoice): void {
    if (choice === this.choice) this.subscriptions.push(subscription);
    else subscription.unsubscribe();
  }

  private unsubscribe(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  /**
   * Counts an item in the status strip; false when it belongs to an earlier choice (items may
   * arrive before a subscription resolves, after another platform or login was picked).
   */
  private track(item: TopicItem, choice: DeskChoice): boolean {
    if (choice !== this.choice) return false;
    if (item.kind === 'event') this.status.event(item.event.hubTime);
    else if (item.kind === 'reset') this.status.reset();
    return true;
  }

  private onTick(tick: Tick): void {
    this.quotes.show(tick);
    this.chart.onTick(tick);
    if (this.symbol === '') this.pickSymbol(tick.symbol);
    this.fillSymbolPicker();
  }

  private pickSymbol(symbol: string): void {
    if (symbol === this.symbol) return;
    this.symbol = symbol;
    this.quotes.select(symbol);
    (byId('symbol') as HTMLSelectElement).value = symbol;
    this.showChart();
  }

  private pickTimeframe(timeframe: Timeframe): void {
    this.timeframe = timeframe;
    for (const button of document.querySelectorAll<HTMLButtonElement>('#timeframes button')) button.classList.toggle('active', button.value === timeframe);
    this.showChart();
  }

  private showChart(): void {
    const { platform } = this.choice;
    void this.chart.show(this.client, platform, this.symbol, this.timeframe, this.symbolInfo(this.symbol)?.digits);
  }

  /** The chart's symbol picker lists the symbols that have quotes. */
  private fillSymbolPicker(): void {
    const picker = byId('symbol') as HTMLSelectElement;
    const symbols = this.client.state.ticks(this.choice.platform).map((tick) => tick.symbol).sort();
    if (picker.options.length === symbols.length) return;
    picker.replaceChildren(...symbols.map((symbol) => new Option(symbol, symbol, false, symbol === this.symbol)));
  }

  private tick(symbol: string): Tick | undefined {
    return this.client.state.tick(this.choice.platform, symbol);
  }

  private symbolInfo(symbol: string): SymbolInfo | undefined {
    return this.client.state.symbols(this.choice.platform).find((info) => info.symbol === symbol);
  }

  /** Panels read the client's state once a frame, however many events came in it. */
  private scheduleRender(): void {
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      const { platform, login } = this.choice;
      this.account.render(this.client.state.account(platform, login));
      const status = this.client.state.platformStatus(platform);
      const label = byId('platform-status');
      label.textContent = status ? status.state : 'no status';
      label.className = `pill ${status?.state ?? ''}`;
    });
  }
}
