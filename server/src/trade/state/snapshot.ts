import type { AccountSnapshot, ParsedTopic, TopicSnapshot } from '@tradehub/shared';

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

function valuesWithPrefix(fields: Fields, prefix: string): unknown[] {
  const values: unknown[] = [];
  for (const [field, value] of fields) if (field.startsWith(prefix)) values.push(value);
  return values;
}
