import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  api, basic, Cleanup, closure, connectHub, createTerminalToken, DEMO_ADMIN, DEMO_PUBLISHER, DEMO_READER, negotiate, postForm,
  refusedStart, refusedUpgrade, signToken, TEST_HS256_SECRET, validClaims, withTestSecret, type HttpAnswer,
} from './support/auth-helpers.js';
import { RawHubSocket } from './support/raw-socket.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { WsRpcClient } from './support/ws-rpc-client.js';

const MANAGER_PASSWORD = 'mgr-Pa55-unique-9137';
const WRONG_MANAGER_PASSWORD = 'wrong-mgr-pass-4242';
const WRONG_CLIENT_SECRET = 'wrong-secret-xyz';

describe('auth: no secret reaches a log line or an error answer', () => {
  let hub: RunningTradehub | undefined;
  const cleanup = new Cleanup();
  after(async () => {
    await cleanup.run();
    await hub?.close();
  });

  it('keeps tokens, client secrets, passwords and the signing key out of logs and error bodies', async () => {
    const logLines: string[] = [];
    const running = await startTradehub({
      logLines,
      config: (config) => {
        withTestSecret(config);
        const manager = config.organizations[0]?.platforms[0]?.managers[0];
        assert.ok(manager);
        manager.password = MANAGER_PASSWORD;
        return config;
      },
    });
    hub = running;
    const { baseUrl, tradeHubUrl } = running;
    const tokenUrl = `${baseUrl}/connect/token`;

    /** Everything that must never be shown; filled as the flows run. */
    const secrets = new Set<string>([
      DEMO_READER.secret, DEMO_PUBLISHER.secret, DEMO_ADMIN.secret, WRONG_CLIENT_SECRET,
      MANAGER_PASSWORD, WRONG_MANAGER_PASSWORD, TEST_HS256_SECRET,
    ]);
    /** Everything shown to callers that is not a success body (those carry tokens by design). */
    const shown: string[] = [];
    const record = (answer: HttpAnswer): HttpAnswer => {
      if (answer.status >= 300) shown.push(answer.text, answer.headers.get('www-authenticate') ?? '');
      return answer;
    };
    const addToken = (token: string): string => {
      secrets.add(token);
      // The signature alone is enough to forge nothing, but it is the secret part of a JWT; for a
      // terminal token, the random part and the stored hash must not leak either.
      const signature = token.split('.')[2];
      if (signature) secrets.add(signature);
      if (token.startsWith('thub_')) {
        secrets.add(token.slice('thub_'.length));
        secrets.add(createHash('sha256').update(token).digest('hex'));
      }
      return token;
    };
    const issue = async (clientId: string, secret: string, scope?: string): Promise<string> => {
      const answer = record(await postForm(tokenUrl, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { Authorization: basic(clientId, secret) }));
      assert.equal(answer.status, 200, answer.text);
      return addToken((answer.json as { access_token: string }).access_token);
    };

    // Client credentials: successes and failures of every kind.
    const reader = await issue(DEMO_READER.id, DEMO_READER.secret);
    const publishOnly = await issue(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret, 'trade.publish');
    const admin = await issue(DEMO_ADMIN.id, DEMO_ADMIN.secret);
    const viaBody = record(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret }));
    addToken((viaBody.json as { access_token: string }).access_token);
    record(await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_READER.id, WRONG_CLIENT_SECRET) }));
    record(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_ADMIN.id, client_secret: WRONG_CLIENT_SECRET }));
    record(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'nobody', client_secret: WRONG_CLIENT_SECRET }));
    record(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) }));
    record(await postForm(tokenUrl, { grant_type: 'password', username: 'x', password: WRONG_CLIENT_SECRET }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) }));
    record(await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'admin' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) }));

    // Bad tokens on the hub and the API, by header, query and WebSocket.
    const forged = addToken(signToken(validClaims(), { key: 'not-the-server-secret-but-forty-chars-xx' }));
    const expired = addToken(signToken(validClaims({ exp: Math.floor(Date.now() / 1000) - 60 })));
    for (const bad of [forged, expired]) {
      record(await negotiate(tradeHubUrl, bad));
      record(await negotiate(tradeHubUrl, undefined, `&access_token=${bad}`));
      record(await api(baseUrl, '/api/platforms', { token: bad }));
      shown.push((await refusedUpgrade(`${tradeHubUrl}?access_token=${bad}`)).body);
      shown.push((await refusedStart(cleanup, tradeHubUrl, bad)).message);
    }
    record(await api(baseUrl, `/api/platforms?access_token=${reader}`));
    record(await negotiate(tradeHubUrl, reader, `&access_token=${reader}`));

    // Good tokens on the hub, with a refused method and a refused handshake.
    const connection = await connectHub(cleanup, tradeHubUrl, reader);
    await connection.invoke('GetPlatforms');
    const limited = await connectHub(cleanup, tradeHubUrl, publishOnly);
    await limited.invoke('GetPlatforms').catch((error: Error) => shown.push(error.message));
    const raw = await RawHubSocket.open(`${tradeHubUrl}?access_token=${reader}`);
    cleanup.add(() => raw.close());
    raw.send(`{"protocol":"nope","version":1}\x1e`);
    shown.push(await raw.nextText());

    // JSON-RPC with a bearer token: POST /rpc and /ws (header and query), good and forged.
    record(await api(baseUrl, '/rpc', { method: 'POST', token: reader, body: { jsonrpc: '2.0', method: 'ping', id: 1 } }));
    record(await api(baseUrl, '/rpc', { method: 'POST', token: forged, body: { jsonrpc: '2.0', method: 'ping', id: 2 } }));
    for (const inQuery of [false, true]) {
      const ws = await WsRpcClient.connect(baseUrl, reader, { inQuery });
      cleanup.add(async () => ws.socket.close());
      await ws.request('ping');
    }
    await WsRpcClient.connect(baseUrl, forged, { inQuery: true }).then(
      (ws) => ws.socket.close(),
      (error: Error) => shown.push(error.message),
    );

    // Terminal tokens: creation, use, replacement, revocation, replay.
    const terminal = await createTerminalToken(baseUrl, admin, { name: 'Logged', platform: 'demo', login: '9001', device: 'dev-9' });
    addToken(terminal.token);
    record(await api(baseUrl, '/api/platforms', { token: terminal.token }));
    record(await api(baseUrl, '/api/platforms', { token: terminal.token, headers: { 'X-Device-Id': 'dev-9' } }));
    const terminalConnection = await connectHub(cleanup, `${tradeHubUrl}?device_id=dev-9`, terminal.token);
    const replacedClosed = closure(terminalConnection);
    const replaced = record(await api(baseUrl, `/api/tokens/${terminal.id}/replace`, { method: 'POST', token: admin }));
    const newTerminal = addToken((replaced.json as { token: string }).token);
    await replacedClosed;
    record(await api(baseUrl, '/api/platforms', { token: terminal.token, headers: { 'X-Device-Id': 'dev-9' } }));
    record(await api(baseUrl, `/api/tokens/${terminal.id}`, { method: 'DELETE', token: admin }));
    record(await api(baseUrl, '/api/platforms', { token: newTerminal, headers: { 'X-Device-Id': 'dev-9' } }));
    record(await api(baseUrl, '/api/tokens', { method: 'POST', token: reader, body: { name: 'x', platform: 'demo', login: '1' } }));
    record(await api(baseUrl, '/api/tokens', { method: 'POST', token: admin, body: { name: 'x', platform: 'demo', login: WRONG_CLIENT_SECRET } }));

    // Revocation of a live JWT connection, by RFC 7009 and by the admin API.
    const revokedClosed = closure(connection);
    record(await postForm(`${baseUrl}/connect/revocation`, { token: reader }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) }));
    await revokedClosed;
    record(await api(baseUrl, '/api/platforms', { token: reader }));
    record(await api(baseUrl, '/api/revocations', { method: 'POST', token: admin, body: { token: publishOnly } }));
    record(await postForm(`${baseUrl}/connect/revocation`, { token: reader }, { Authorization: basic(DEMO_READER.id, WRONG_CLIENT_SECRET) }));

    // Manager logins, right and wrong.
    const init = (password: string): Promise<HttpAnswer> => api(baseUrl, `/v1/init?server=demo&login=1000&password=${encodeURIComponent(password)}`);
    const managerLogin = record(await init(MANAGER_PASSWORD));
    assert.equal(managerLogin.status, 200, managerLogin.text);
    addToken((managerLogin.json as { token: string }).token);
    record(await init(WRONG_MANAGER_PASSWORD));
    record(await api(baseUrl, `/v1/init?server=demo&login=${WRONG_MANAGER_PASSWORD}&password=${MANAGER_PASSWORD}`));
    record(await api(baseUrl, `/v1/init?server=demo&login=1000&password=${MANAGER_PASSWORD}&timeout=${WRONG_MANAGER_PASSWORD}`));

    await cleanup.run();
    await running.close();
    hub = undefined;

    // The flows above were logged: otherwise "nothing leaked" would prove nothing.
    const messages = logLines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    for (const expected of ['connection opened', 'hub method refused: missing scope', 'handshake refused', 'closed connections of a revoked token', 'http request']) {
      assert.ok(messages.includes(expected), `no '${expected}' log line among ${logLines.length}`);
    }
    // Access log lines name the requests that carried a token in the query and the password of
    // /v1/init, with those values replaced, and each carries its request id.
    const accessLines = logLines.map((line) => JSON.parse(line) as { msg?: string; url?: string; requestId?: string })
      .filter((line) => line.msg === 'http request');
    assert.ok(accessLines.every((line) => typeof line.requestId === 'string' && line.requestId.length > 0), 'an access log line without a request id');
    assert.ok(accessLines.some((line) => line.url?.startsWith('/hubs/trade/negotiate?') && line.url.includes('access_token=[redacted]')), 'no access log line of a negotiate with a token in the query');
    assert.ok(accessLines.some((line) => line.url?.startsWith('/v1/init?') && line.url.includes('password=[redacted]')), 'no access log line of /v1/init');
    assert.ok(accessLines.some((line) => line.url === '/rpc'), 'no access log line of /rpc');
    // WebSocket upgrades get theirs too, with the answer's status: opened (101) or refused (401).
    const upgradeLines = logLines.map((line) => JSON.parse(line) as { msg?: string; url?: string; status?: number; requestId?: string })
      .filter((line) => line.msg === 'http upgrade');
    const upgradesOf = (status: number): typeof upgradeLines => upgradeLines.filter((line) => line.status === status && line.url?.startsWith('/hubs/trade?'));
    assert.ok(upgradesOf(101).some((line) => line.url?.includes('access_token=[redacted]')), 'no access log line of an opened WebSocket with a token in the query');
    assert.ok(upgradesOf(401).length >= 2, `refused upgrades logged: ${upgradesOf(401).length}`);
    assert.ok(upgradeLines.every((line) => typeof line.requestId === 'string' && line.requestId.length > 0), 'an upgrade log line without a request id');
    // Lines about a hub connection name it.
    for (const line of logLines.map((text) => JSON.parse(text) as { msg?: string; connectionId?: string })) {
      if (line.msg === 'handshake refused' || line.msg === 'hub method refused: missing scope' || line.msg === 'connection opened') {
        assert.ok(typeof line.connectionId === 'string' && line.connectionId !== '', `'${line.msg}' without a connection id`);
      }
    }
    assert.ok(shown.length > 40, `only ${shown.length} answers were checked`);

    for (const secret of secrets) {
      for (const line of logLines) assert.ok(!line.includes(secret), `a log line contains a secret (${secret.slice(0, 6)}…): ${line.slice(0, 300)}`);
      for (const text of shown) assert.ok(!text.includes(secret), `an answer contains a secret (${secret.slice(0, 6)}…): ${text.slice(0, 300)}`);
    }
  });
});
