import { LOGIN_LIMIT_DEFAULTS, type ClientConfig, type OrganizationConfig, type TradehubConfig } from './config-schema.js';

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
    demo: true,
    dataDir,
    auth: {
      issuer: 'tradehub', audience: 'tradehub', accessTokenLifetimeSeconds: 3600, signing: { algorithm: 'HS256' },
      login: { ...LOGIN_LIMIT_DEFAULTS },
    },
    trade: { historyLength: 10_000, dedupeWindowSeconds: 86_400, terminalRequestTimeoutMs: 10_000, barHistory: 500, barSeriesPerNode: 50_000 },
    hsts: { maxAgeSeconds: 31_536_000, includeSubDomains: false },
    limits: { topicsPerConnection: 1000, topicNameLength: 256 },
    interopHub: false,
    metrics: { host: '127.0.0.1' },
    shutdown: { drainDelayMs: 0 },
    logging: { accessLogLevel: 'info' },
    organizations: [demoOrganization()],
    clients: demoClients(),
  };
}

/**
 * Puts the demo organization and clients into a raw configuration with `demo: true`, first and
 * beside its own (a file that keeps the demo while adding its platforms); ids already there are kept.
 */
export function addDemoEntities(raw: Record<string, unknown>): void {
  const organizations = Array.isArray(raw.organizations) ? raw.organizations : [];
  const clients = Array.isArray(raw.clients) ? raw.clients : [];
  const has = (list: unknown[], id: string): boolean => list.some((item) => typeof item === 'object' && item !== null && (item as { id?: unknown }).id === id);
  const organization = demoOrganization();
  raw.organizations = has(organizations, organization.id) ? organizations : [organization, ...organizations];
  raw.clients = [...demoClients().filter((demoClient) => !has(clients, demoClient.id)), ...clients];
}

function demoOrganization(): OrganizationConfig {
  return {
    id: 'demo',
    name: 'Demo organization',
    platforms: [{
      id: DEMO_CREDENTIALS.manager.platform,
      name: 'Demo MT5 (simulated)',
      kind: 'mt5',
      managers: [{ login: DEMO_CREDENTIALS.manager.login, password: DEMO_CREDENTIALS.manager.password }],
    }],
  };
}

function demoClients(): ClientConfig[] {
  return DEMO_CREDENTIALS.clients.map((client) => ({
    id: client.id, secret: client.secret, organization: 'demo', scopes: [...client.scopes],
  }));
}
