import type { Logger } from 'pino';
import { ECHO_REQUIRED_COOKIE, INTEROP_HUB_PATH, InteropRoute } from '@tradehub/shared';
import { authFailureAnswer } from '../auth/http-auth.js';
import type { HubEndpoint } from '../connections/hub-endpoint.js';
import { errorHandler } from '../http/error-handler.js';
import { HubHost } from '../http/hub-host.js';
import type { HubOptions } from '../hub/hub-options.js';
import { InMemoryHubLifetimeManager } from '../lifetime/in-memory-hub-lifetime-manager.js';
import { authorizedHub } from './authorized-hub.js';
import { clientResultRoute } from './client-result-route.js';
import { echoConnectionHandler } from './echo-connection-handler.js';
import { badNegotiate, deployment, echoRedirect, webWorkerClient } from './functional-test-routes.js';
import { interopCors } from './interop-cors.js';
import { interopHub } from './interop-hub.js';
import { InteropTokenIssuer } from './interop-token-issuer.js';
import { NegotiateRedirect } from './negotiate-redirect.js';
import { testCookies } from './test-cookies.js';
import { uncreatableHub } from './uncreatable-hub.js';

export interface InteropServerOptions {
  logger?: Logger;
  hubOptions?: Partial<HubOptions>;
  /** Lifetime of `/generateJwtToken`'s tokens; 5 s, as the ASP.NET test server's. */
  tokenLifetimeSeconds?: number;
  shutdownGraceMs?: number;
  /** Origins allowed by CORS besides the local ones (exact `scheme://host[:port]`). */
  corsOrigins?: readonly string[];
}

/** The interop server's parts that tests and the CLI reach into. */
export interface InteropServer {
  readonly host: HubHost;
  /** `/testhub` and `/testhub-nowebsockets`: one hub, one lifetime manager, as one hub class mapped twice in ASP.NET. */
  readonly interopHub: HubEndpoint;
  readonly noWebSocketsHub: HubEndpoint;
  readonly authorizedHub: HubEndpoint;
  readonly uncreatableHub: HubEndpoint;
  readonly tokens: InteropTokenIssuer;
  readonly redirects: NegotiateRedirect;
}

/** Bytes an echo connection may have waiting for a client that does not read. */
const ECHO_MAXIMUM_BUFFERED_BYTES = 1024 * 1024;

/**
 * Everything ASP.NET Core's own SignalR client test server (src/SignalR/clients/ts/FunctionalTests,
 * Startup.cs) offers, on tradehub: the interop hub at `/testhub` and without WebSockets at
 * `/testhub-nowebsockets`, `/authorizedhub` with `/generateJwtToken`, the raw `/echo` connection,
 * `/clientresult/{id}`, negotiate redirects under `/redirect`, the test cookies on every negotiate,
 * `/uncreatable`, `/bad-negotiate`, `/echoredirect`, `/deployment`, the official client's web-worker
 * build at `/lib/signalr-webworker/signalr.js`, and CORS with credentials for
 * pages of local origins. None of it is in the product.
 */
export function createInteropServer(options: InteropServerOptions = {}): InteropServer {
  // No HSTS: browsers would pin `localhost` to HTTPS, and the suites use it over HTTP too.
  const host = new HubHost({
    logger: options.logger,
    shutdownGraceMs: options.shutdownGraceMs,
    securityHeaders: { hstsMaxAgeSeconds: 0, hstsIncludeSubDomains: false },
  });
  const tokens = new InteropTokenIssuer(options.tokenLifetimeSeconds);
  const redirects = new NegotiateRedirect();
  host.app.use(interopCors(options.corsOrigins));
  // Before the cookies, as in ASP.NET's pipeline: a redirect sets none.
  host.app.use(InteropRoute.EchoRedirect, echoRedirect);
  host.app.use(InteropRoute.Redirect, redirects.handler);
  host.app.use(testCookies());
  host.app.use(InteropRoute.BadNegotiate, badNegotiate);
  host.app.get(InteropRoute.Deployment, deployment);
  host.app.get(InteropRoute.WebWorkerClient, webWorkerClient());
  host.app.get(InteropRoute.GenerateJwtToken, (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/plain').send(tokens.issue());
  });

  const hubOptions = options.hubOptions ?? {};
  const lifetimeManager = new InMemoryHubLifetimeManager();
  const testHub = host.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub(), hubOptions, lifetimeManager });
  const noWebSocketsHub = host.mapHub({
    path: InteropRoute.NoWebSocketsHub, hub: interopHub(), hubOptions, lifetimeManager, transports: ['ServerSentEvents', 'LongPolling'],
  });
  const authorized = host.mapHub({
    path: InteropRoute.AuthorizedHub,
    hub: authorizedHub(),
    hubOptions,
    authenticator: tokens,
    // As ASP.NET's JWT bearer challenge: the status and WWW-Authenticate, no body.
    authFailureAnswer: (error) => {
      const answer = authFailureAnswer(error);
      return answer && { status: answer.status, headers: answer.headers };
    },
  });
  const uncreatable = host.mapHub({ path: InteropRoute.Uncreatable, hub: uncreatableHub(), hubOptions });
  host.mapConnectionHandler(InteropRoute.Echo, echoConnectionHandler({
    requiredCookie: ECHO_REQUIRED_COOKIE, maximumBufferedBytes: ECHO_MAXIMUM_BUFFERED_BYTES,
  }));
  host.app.get(`${InteropRoute.ClientResult}/:id`, clientResultRoute(testHub.clients));
  // A body over the limit, an unreadable one: JSON that names the problem, never a stack trace.
  host.app.use(errorHandler(host.logger));
  return { host, interopHub: testHub, noWebSocketsHub, authorizedHub: authorized, uncreatableHub: uncreatable, tokens, redirects };
}
