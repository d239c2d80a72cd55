import type { HubEventInput, TradeEventType } from './events.js';
import { TIMEFRAME_MS, type Timeframe } from './market-data.js';

/**
 * Topics are hierarchical so that permissions are checked by prefix:
 * `platforms/{platform}/status`, `platforms/{platform}/symbols`, `platforms/{platform}/ticks/{symbol}`,
 * `platforms/{platform}/accounts/{login}` (account state, positions, orders and deals of one login),
 * `platforms/{platform}/margin` (margin events of every login: for callers not restricted to logins),
 * `platforms/{platform}/bars/{symbol}/{timeframe}` (bars built from the symbol's ticks),
 * `platforms/{platform}/depth/{symbol}` (the symbol's order book).
 * `*` as the last part subscribes to every symbol or login of a platform (not for bars, whose
 * topics are always concrete).
 */
export const Topics = {
  status: (platform: string) => `platforms/${platform}/status`,
  symbols: (platform: string) => `platforms/${platform}/symbols`,
  ticks: (platform: string, symbol: string) => `platforms/${platform}/ticks/${symbol}`,
  account: (platform: string, login: string) => `platforms/${platform}/accounts/${login}`,
  margin: (platform: string) => `platforms/${platform}/margin`,
  bars: (platform: string, symbol: string, timeframe: Timeframe) => `platforms/${platform}/bars/${symbol}/${timeframe}`,
  depth: (platform: string, symbol: string) => `platforms/${platform}/depth/${symbol}`,
  allTicks: (platform: string) => `platforms/${platform}/ticks/*`,
  allAccounts: (platform: string) => `platforms/${platform}/accounts/*`,
} as const;

export type TopicKind = 'status' | 'symbols' | 'ticks' | 'accounts' | 'margin' | 'bars' | 'depth';

export interface ParsedTopic {
  topic: string;
  platformId: string;
  kind: TopicKind;
  /** Symbol or login for `ticks`, `accounts`, `bars` and `depth`; `*` for a wildcard. */
  key?: string;
  /** The timeframe of a `bars` topic. */
  timeframe?: Timeframe;
  wildcard: boolean;
}

const TOPIC = /^platforms\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/(status|symbols|margin|ticks|accounts|bars|depth)(?:\/([A-Za-z0-9][A-Za-z0-9._#&+-]{0,31}|\*))?(?:\/([A-Z0-9]{2,3}))?$/;
const KEYED_KINDS: ReadonlySet<TopicKind> = new Set<TopicKind>(['ticks', 'accounts', 'bars', 'depth']);

function isTimeframe(value: string): value is Timeframe {
  return Object.hasOwn(TIMEFRAME_MS, value);
}

/** Reads a topic name; undefined when it is not one. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const match = TOPIC.exec(topic);
  if (!match) return undefined;
  const [, platformId, kind, key, timeframe] = match as unknown as [string, string, TopicKind, string | undefined, string | undefined];
  if (KEYED_KINDS.has(kind) !== (key !== undefined)) return undefined;
  if (kind === 'accounts' && key !== undefined && key !== '*' && !/^\d{1,20}$/.test(key)) return undefined;
  if (kind === 'bars') {
    if (key === '*' || timeframe === undefined || !isTimeframe(timeframe)) return undefined;
    return { topic, platformId, kind, key, timeframe, wildcard: false };
  }
  if (timeframe !== undefined) return undefined;
  return { topic, platformId, kind, ...(key !== undefined ? { key } : {}), wildcard: key === '*' };
}

const KIND_OF_TYPE: Record<TradeEventType, TopicKind> = {
  'tick': 'ticks',
  'deal': 'accounts',
  'order': 'accounts',
  'position': 'accounts',
  'account': 'accounts',
  'margin': 'margin',
  'platform.status': 'status',
  'symbol': 'symbols',
  'terminal.status': 'status',
  'bar': 'bars',
  'depth': 'depth',
};

/** The one topic an event is published to. */
export function topicOf(event: HubEventInput): string {
  switch (event.type) {
    case 'tick':
      return Topics.ticks(event.platformId, event.data.symbol);
    case 'deal':
    case 'order':
    case 'position':
    case 'account':
      return Topics.account(event.platformId, event.data.login);
    case 'margin':
      return Topics.margin(event.platformId);
    case 'platform.status':
    case 'terminal.status':
      return Topics.status(event.platformId);
    case 'symbol':
      return Topics.symbols(event.platformId);
    case 'bar':
      return Topics.bars(event.platformId, event.data.symbol, event.data.timeframe);
    case 'depth':
      return Topics.depth(event.platformId, event.data.symbol);
  }
}

export function topicKindOf(type: TradeEventType): TopicKind {
  return KIND_OF_TYPE[type];
}

/** The wildcard that covers a keyed topic (`.../ticks/EURUSD` -> `.../ticks/*`), if any. */
export function wildcardOf(topic: string): string | undefined {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.wildcard || parsed.key === undefined || parsed.kind === 'bars') return undefined;
  return topic.slice(0, topic.length - parsed.key.length) + '*';
}

/** Whether a concrete topic falls under a subscription (itself, or the wildcard covering it). */
export function topicMatches(subscription: string, topic: string): boolean {
  if (subscription === topic) return true;
  return subscription.endsWith('/*') && topic.startsWith(subscription.slice(0, -1)) && !topic.slice(subscription.length - 1).includes('/');
}
