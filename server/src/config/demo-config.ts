import { LOGIN_LIMIT_DEFAULTS, type TradehubConfig } from './config-schema.js';

/** Credentials of the embedded default, printed at start and refused in production. */
export const DEMO_CREDENTIALS = {
  clients: [
    { id: 'demo-reader', secret: 'demo-reader-secret', scopes: ['trade.read'] },
    { id: 'demo-publisher', secret: 'demo-publisher-secret', scopes: ['trade.read', 'trade.publish'] },
    { id: 'demo-admin', secret: 'demo-admin-secret', scopes: ['admin', 'trade.read', 'trade.publish'] },
  ],
  manager: { platform: 'demo', login: '1000', password: 'demo' },
} as const;

export const DEMO_SECRETS: ReadonlySet<string> = new Set([
  ...DEMO_CREDENTIALS.clients.map((client) => client.secret),
  DEMO_CREDENTIALS.manager.password,
]);

/** The configuration `npm start` runs with when no file is given: one organization, one platform. */
export function demoConfig(dataDir: string): TradehubConfig {
  return {
    dataDir,
    auth: {
      issuer: 'tradehub', audience: 'tradehub', accessTokenLifetimeSeconds: 3600, signing: { algorithm: 'HS256' },
      login: { ...LOGIN_LIMIT_DEFAULTS },
    },
    trade: { historyLength: 10_000, dedupeWindowSeconds: 86_400, barHistory: 500, barSeriesPerNode: 50_000 },
    hsts: { maxAgeSeconds: 31_536_000, includeSubDomains: false },
    limits: { topicsPerConnection: 1000, topicNameLength: 256 },
    interopHub: false,
    organizations: [{
      id: 'demo',
      name: 'Demo organization',
      platforms: [{
        id: DEMO_CREDENTIALS.manager.platform,
        name: 'Demo MT5 (simulated)',
        kind: 'mt5',
        managers: [{ login: DEMO_CREDENTIALS.manager.login, password: DEMO_CREDENTIALS.manager.password }],
      }],
    }],
    clients: DEMO_CREDENTIALS.clients.map((client) => ({
      id: client.id, secret: client.secret, organization: 'demo', scopes: [...client.scopes],
    })),
  };
}
