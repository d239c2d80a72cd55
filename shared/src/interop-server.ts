/**
 * The interop server's routes beside the interop hub: those of ASP.NET Core's own SignalR
 * client test server (src/SignalR/clients/ts/FunctionalTests), so that its suite runs against
 * tradehub unchanged.
 */
export const InteropRoute = {
  /** The interop hub with Server-Sent Events and long polling only. */
  NoWebSocketsHub: '/testhub-nowebsockets',
  /** A hub that needs a token of `GenerateJwtToken`. */
  AuthorizedHub: '/authorizedhub',
  /** A raw connection (no hub protocol) that echoes every payload. */
  Echo: '/echo',
  /** GET: a token for the authorized hub, as text. */
  GenerateJwtToken: '/generateJwtToken',
  /** GET `/clientresult/{connectionId}`: the interop hub client's `Result()` answer, as text. */
  ClientResult: '/clientresult',
  /** Any request under it answers a negotiate redirect to `{baseUrl}/testHub?numRedirects=N`. */
  Redirect: '/redirect',
  /** A hub that cannot be created: every connection is closed with the error at once. */
  Uncreatable: '/uncreatable',
  /** Any request under it answers `400` with a text body, as a negotiate that fails. */
  BadNegotiate: '/bad-negotiate',
  /** Any request under it is redirected (`307`, method kept) to the same path under `/echo`, query kept. */
  EchoRedirect: '/echoredirect',
  /** GET: what server this is, as a JSON object. */
  Deployment: '/deployment',
  /**
   * GET: the official client's web-worker build, which the suite's WebWorker spec imports from
   * the server (the .NET test server serves it among its static files).
   */
  WebWorkerClient: '/lib/signalr-webworker/signalr.js',
} as const;

/** The body of every `/bad-negotiate` answer, as the ASP.NET test server's. */
export const BAD_NEGOTIATE_BODY = 'Some response from server';

/** The error `/uncreatable` closes connections with, as .NET's dependency injection words it for the test server's hub. */
export const UNCREATABLE_HUB_ERROR = "Unable to resolve service for type 'System.Object' while attempting to activate 'FunctionalTests.UncreatableHub'.";

/** Methods of the authorized hub. */
export const AuthorizedHubMethod = {
  Echo: 'Echo',
  /** The name identifier claim of the caller's token. */
  GetUserNameIdentifier: 'GetUserNameIdentifier',
} as const;

/** The handler `/clientresult/{id}` invokes on the client. */
export const CLIENT_RESULT_METHOD = 'Result';

/** The tokens of `/generateJwtToken`: HS256, valid for `INTEROP_TOKEN_LIFETIME_SECONDS`. */
export const INTEROP_TOKEN_ISSUER = 'SignalRTestServer';
export const INTEROP_TOKEN_AUDIENCE = 'SignalRTests';
export const INTEROP_TOKEN_USER = 'testuser';
export const INTEROP_TOKEN_LIFETIME_SECONDS = 5;

/** Cookies every negotiate sets: two to keep, one already expired (the client must drop it). */
export const InteropCookie = {
  testCookie: 'testValue',
  testCookie2: 'testValue2',
  expiredCookie: 'doesntmatter',
} as const;

/** The echo endpoint echoes only on connections whose opening request carries this cookie (set by negotiate). */
export const ECHO_REQUIRED_COOKIE = 'testCookie';
