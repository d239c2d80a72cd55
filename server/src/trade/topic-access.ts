import { parseTopic, topicOf, type ParsedTopic, type TradeEventInput } from '@tradehub/shared';
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
      break;
  }
  return { ok: true, topic: parsed };
}

/** Whether a caller may publish an event; the error names the event's topic. */
export function checkPublishAccess(principal: Principal | undefined, event: TradeEventInput): string | undefined {
  const topic = topicOf(event);
  if (!principal || !hasScope(principal, Scope.TradePublish)) return 'Publishing needs the trade.publish scope.';
  if (!canAccessPlatform(principal, event.platformId)) return `Publishing to platform '${event.platformId}' is not allowed.`;
  const login = 'login' in event.data ? event.data.login : undefined;
  if (login !== undefined && !canAccessLogin(principal, event.platformId, login)) {
    return `Publishing to topic '${topic}' is not allowed.`;
  }
  return undefined;
}

