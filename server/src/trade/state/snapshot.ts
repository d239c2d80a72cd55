import type { AccountSnapshot, ParsedTopic, TopicSnapshot } from '@tradehub/shared';
import { BAR_FIELD_PREFIX } from './state-change.js';

type Fields = ReadonlyMap<string, unknown>;

/** Builds the snapshot of one concrete topic from its state fields (see state-change.ts). */
export function snapshotOf(topic: ParsedTopic, fields: Fields): TopicSnapshot {
  switch (topic.kind) {
    case 'ticks': {
      const tick = fields.get('tick');
      return { kind: 'ticks', ticks: tick === undefined ? [] : [tick as Extract<TopicSnapshot, { kind: 'ticks' }>['ticks'][number]] };
    }
    case 'accounts':
      return { kind: 'accounts', accounts: [accountSnapshot(topic.key ?? '', fields)] };
    case 'status':
      return { kind: 'status', status: (fields.get('status') ?? null) as Extract<TopicSnapshot, { kind: 'status' }>['status'] };
    case 'symbols':
      return { kind: 'symbols', symbols: valuesWithPrefix(fields, 'symbol:') as Extract<TopicSnapshot, { kind: 'symbols' }>['symbols'] };
    case 'margin':
      return { kind: 'margin' };
    case 'bars':
      // Field names sort as the bars' times (see state-change.ts): oldest first.
      return { kind: 'bars', bars: valuesWithPrefix(fields, BAR_FIELD_PREFIX, true) as Extract<TopicSnapshot, { kind: 'bars' }>['bars'] };
    case 'depth':
      return { kind: 'depth', depth: (fields.get('depth') ?? null) as Extract<TopicSnapshot, { kind: 'depth' }>['depth'] };
  }
}

function accountSnapshot(login: string, fields: Fields): AccountSnapshot {
  return {
    login,
    account: (fields.get('account') ?? null) as AccountSnapshot['account'],
    positions: valuesWithPrefix(fields, 'position:') as AccountSnapshot['positions'],
    orders: valuesWithPrefix(fields, 'order:') as AccountSnapshot['orders'],
  };
}

function valuesWithPrefix(fields: Fields, prefix: string, sortedByField = false): unknown[] {
  const matching = [...fields].filter(([field]) => field.startsWith(prefix));
  if (sortedByField) matching.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return matching.map(([, value]) => value);
}
