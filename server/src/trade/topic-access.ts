import { parseTopic, topicOf, type ParsedTopic, type TopicKind, type TradeEventInput, type TradeEventType } from '@tradehub/shared';
import { canAccessLogin, canAccessPlatform, hasScope, type Principal } from '../auth/principal.js';
import { Scope } from '../auth/scopes.js';
import { printable } from '../text/printable.js';

export type TopicCheck = { ok: true; topic: ParsedTopic } | { ok: false; error: string };

/**
 * Whether a caller may read a topic. Refusals do not say whether the topic exists, so that
 * one tenant learns nothing about another's platforms.
 */
export function checkReadAccess(principal: Principal | undefined, topic: string): TopicCheck {
  const parsed = parseTopic(topic);
  if (!parsed) return { ok: false, error: `'${printable(topic, 80)}' is not a topic name.` };
  const refused = { ok: false as const, error: `Access to topic '${topic}' is not allowed.` };
  if (!principal || !hasScope(principal, Scope.TradeRead) || !canAccessPlatform(principal, parsed.platformId)) return refused;
  const restrictedToLogins = principal.logins !== undefined;
  switch (parsed.kind) {
    case 'accounts':
      if (parsed.wildcard ? restrictedToLogins : !canAccessLogin(principal, parsed.platformId, parsed.key ?? '')) return refused;
      break;
    case 'margin':
      // Margin events concern every login of the platform: for managers and unrestricted clients only.
      if (restrictedToLogins) return refused;
      break;
    default:
      // Ticks, bars and depth of a symbol, the status and symbols: anyone who may read the platform.
      break;
  }
  return { ok: true, topic: parsed };
}

/** Topic kinds that belong to one login; every other kind (present or future) is platform-wide. */
const ACCOUNT_TOPIC_KINDS: ReadonlySet<TopicKind> = new Set<TopicKind>(['accounts']);

/**
 * Whether a caller may publish an event, decided by the topic the event goes to (`topicOf`),
 * never by its payload fields: an account topic needs its login among the token's logins (or a
 * token without login restriction); any other topic (ticks, symbols, status, margin, and kinds
 * added later) is platform-wide and needs a token without login restriction. Refusals name the
 * event's topic and say the same for an unknown platform and another organization's, so that
 * nothing is learned about other tenants.
 */
export function checkPublishAccess(principal: Principal | undefined, event: TradeEventInput): string | undefined {
  const forged = forgedEventRefusal(event);
  if (forged !== undefined) return forged;
  if (!principal || !hasScope(principal, Scope.TradePublish)) return 'Publishing needs the trade.publish scope.';
  const topic = topicOf(event);
  const refused = `Publishing to topic '${printable(topic, 160)}' is not allowed.`;
  // Validated events always make a topic name; anything else is refused rather than guessed at.
  const parsed = parseTopic(topic);
  if (!parsed || parsed.wildcard || !canAccessPlatform(principal, parsed.platformId)) return refused;
  if (ACCOUNT_TOPIC_KINDS.has(parsed.kind)) {
    return canAccessLogin(principal, parsed.platformId, parsed.key ?? '') ? undefined : refused;
  }
  if (principal.logins !== undefined) {
    return `${refused} It is platform-wide: only a publisher not restricted to logins may publish to it.`;
  }
  return undefined;
}

/** Event types that only tradehub itself produces (the terminal hub's presence). */
const HUB_ONLY_EVENT_TYPES: ReadonlySet<TradeEventType> = new Set<TradeEventType>(['terminal.status']);

/** Why an event is refused from every publisher, whatever its rights: it would forge what only tradehub says. */
export function forgedEventRefusal(event: TradeEventInput): string | undefined {
  return HUB_ONLY_EVENT_TYPES.has(event.type)
    ? `'${event.type}' events are published by tradehub's terminal hub only; a publisher may not send them.`
    : undefined;
}
