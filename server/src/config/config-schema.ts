import { z } from 'zod';
import { ALL_SCOPES } from '../auth/scopes.js';

/** Ids that appear in topics and URLs: letters, digits, `.`, `_` and `-`. */
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

/**
 * A secret in the configuration: the value itself (for development only), `env:NAME`,
 * `file:PATH`, or for secrets that are only checked, an scrypt hash (`scrypt$salt$hash`).
 */
const secretRef = z.string().min(1);

const managerAccount = z.object({
  login: z.string().regex(/^\d{1,20}$/, 'must be a numeric MetaTrader login'),
  password: secretRef,
});

const platform = z.object({
  id,
  name: z.string().optional(),
  kind: z.enum(['mt4', 'mt5']).default('mt5'),
  /** Trade server address that `/v1/init?server=` names; defaults to the platform id. */
  server: z.string().optional(),
  managers: z.array(managerAccount).default([]),
});

const organization = z.object({
  id,
  name: z.string().optional(),
  platforms: z.array(platform).default([]),
});

const client = z.object({
  id,
  secret: secretRef,
  organization: id,
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1),
  /** Platforms this client may reach; every platform of its organization when omitted. */
  platforms: z.array(id).optional(),
});

const signing = z.discriminatedUnion('algorithm', [
  z.object({
    algorithm: z.literal('HS256'),
    /** At least 32 bytes; when omitted, one is generated and kept in the data directory. */
    secret: secretRef.optional(),
  }),
  z.object({
    algorithm: z.enum(['RS256', 'ES256']),
    /** Newest first: the first signs, all verify (key rotation), all are published as JWKS. */
    keys: z.array(z.object({ kid: id, privateKey: secretRef })).min(1),
  }),
]);

export const configSchema = z.object({
  nodeId: id.optional(),
  dataDir: z.string().default('./data'),
  auth: z.object({
    issuer: z.string().default('tradehub'),
    audience: z.string().default('tradehub'),
    accessTokenLifetimeSeconds: z.number().int().min(5).max(86_400).default(3600),
    signing: signing.default({ algorithm: 'HS256' }),
    /** Failed client authentications allowed per client and per address in `failureWindowSeconds`. */
    maxFailuresPerClient: z.number().int().min(1).default(10),
    maxFailuresPerAddress: z.number().int().min(1).default(50),
    failureWindowSeconds: z.number().int().min(1).default(60),
  }).default({
    issuer: 'tradehub', audience: 'tradehub', accessTokenLifetimeSeconds: 3600, signing: { algorithm: 'HS256' },
    maxFailuresPerClient: 10, maxFailuresPerAddress: 50, failureWindowSeconds: 60,
  }),
  trade: z.object({
    /** Events kept per topic for replay after a reconnect. */
    historyLength: z.number().int().min(10).max(1_000_000).default(10_000),
    /** How long an event id is remembered, so that a republished event is stored once. */
    dedupeWindowSeconds: z.number().int().min(1).max(7 * 86_400).default(86_400),
  }).default({ historyLength: 10_000, dedupeWindowSeconds: 86_400 }),
  /**
   * Browser pages of these origins may call the API and the hubs' HTTP endpoints (negotiate)
   * across origins (CORS). Exact origins, `scheme://host[:port]`; none when omitted.
   */
  cors: z.object({
    origins: z.array(z.string().refine(isOrigin, 'must be an origin: scheme://host[:port], without a path')).min(1),
    /** How long browsers may cache a preflight answer. */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
  }).optional(),
  /**
   * Map the anonymous interop hub (`/testhub`) beside the product's hubs. It exists to check
   * SignalR clients against tradehub and is off unless asked for (`TRADEHUB_INTEROP_HUB=on`):
   * anyone may connect to it without a token.
   */
  interopHub: z.boolean().default(false),
  redis: z.object({
    url: z.string().url(),
    keyPrefix: z.string().default('tradehub'),
    /** Longest wait for one Redis command before the node answers 503 (fail-fast; implemented on the Redis time-outs branch). */
    commandTimeoutMs: z.number().int().positive().optional(),
  }).optional(),
  organizations: z.array(organization).min(1),
  clients: z.array(client).default([]),
});

export type TradehubConfig = z.output<typeof configSchema>;
export type CorsConfig = NonNullable<TradehubConfig['cors']>;

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}
export type OrganizationConfig = z.output<typeof organization>;
export type PlatformConfig = z.output<typeof platform>;
export type ClientConfig = z.output<typeof client>;
