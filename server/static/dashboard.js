// The live dashboard: the official SignalR browser client, a client-credentials token, and the
// trade hub's topics. Positions per topic are kept so that a reconnect resumes without gaps.
/* global signalR */
'use strict';

const $ = (id) => document.getElementById(id);
const positions = new Map(); // topic -> { epoch, seq }
const quotes = new Map();
let account = null;
let openPositions = new Map();
let connection = null;

function log(text) {
  const line = document.createElement('div');
  line.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  $('log').prepend(line);
  while ($('log').childElementCount > 200) $('log').lastChild.remove();
}

async function fetchToken(clientId, clientSecret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  const response = await fetch('/connect/token', { method: 'POST', body });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error_description || answer.error || `HTTP ${response.status}`);
  return { token: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000 };
}

function render() {
  const rows = [...quotes.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)).map((q) =>
    `<tr><td>${q.symbol}</td><td class="${q.dir}">${q.bid}</td><td class="${q.dir}">${q.ask}</td><td>${new Date(q.time).toISOString().slice(11, 19)}</td></tr>`);
  $('quotes').innerHTML = rows.join('');
  $('account').innerHTML = account
    ? ['balance', 'equity', 'margin', 'marginFree', 'marginLevel', 'currency', 'leverage']
      .map((field) => `<tr><td>${field}</td><td>${account[field] ?? '-'}</td></tr>`).join('')
    : '<tr><td>no account data yet</td></tr>';
  $('positions').innerHTML = [...openPositions.values()].map((p) =>
    `<tr><td>${p.position}</td><td>${p.symbol}</td><td>${p.direction}</td><td>${p.volume / 10000}</td><td>${p.priceOpen}</td><td>${p.profit}</td></tr>`).join('');
}

function applySnapshot(result) {
  positions.set(result.topic, { epoch: result.epoch, seq: result.seq });
  const snapshot = result.snapshot;
  if (snapshot.kind === 'ticks') for (const tick of snapshot.ticks) quotes.set(tick.symbol, { ...tick, dir: '' });
  if (snapshot.kind === 'status') $('status').textContent = snapshot.status ? `(${snapshot.status.state})` : '';
  if (snapshot.kind === 'accounts') {
    const state = snapshot.accounts[0];
    account = state?.account ?? null;
    openPositions = new Map((state?.positions ?? []).map((p) => [p.position, p]));
  }
}

function applyEvent(envelope) {
  const known = positions.get(envelope.topic);
  if (known && known.epoch === envelope.epoch && envelope.seq <= known.seq) return; // seen already
  positions.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
  const data = envelope.data;
  switch (envelope.type) {
    case 'tick': {
      const previous = quotes.get(data.symbol);
      quotes.set(data.symbol, { ...data, dir: previous ? (data.bid >= previous.bid ? 'up' : 'down') : '' });
      break;
    }
    case 'account': account = data; break;
    case 'position':
      if (data.volume === 0) openPositions.delete(data.position); else openPositions.set(data.position, data);
      break;
    case 'platform.status': $('status').textContent = `(${data.state})`; break;
    default: break;
  }
  if (envelope.type !== 'tick') log(`${envelope.type} ${envelope.topic} #${envelope.seq} ${JSON.stringify(data)}`);
  render();
}

async function subscribe(topics) {
  const resume = {};
  for (const [topic, position] of positions) resume[topic] = position;
  const results = await connection.invoke('Subscribe', topics, resume);
  for (const result of results) {
    if (result.status === 'error') log(`refused ${result.topic}: ${result.error}`);
    else if (result.status === 'wildcard') result.topics.forEach((topic) => (topic.status === 'snapshot' ? applySnapshot(topic) : topic.events.forEach(applyEvent)));
    else if (result.status === 'snapshot') applySnapshot(result);
    else result.events.forEach(applyEvent);
  }
  render();
}

async function connect(event) {
  event.preventDefault();
  if (connection) await connection.stop();
  const clientId = $('client-id').value;
  const clientSecret = $('client-secret').value;
  const platform = $('platform').value;
  const topics = [`platforms/${platform}/ticks/*`, `platforms/${platform}/status`, `platforms/${platform}/accounts/${$('login-number').value}`];
  let current = null;
  const tokenFactory = async () => {
    if (!current || current.expiresAt - Date.now() < 60_000) current = await fetchToken(clientId, clientSecret);
    return current.token;
  };
  connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/trade', { accessTokenFactory: tokenFactory })
    .withAutomaticReconnect()
    .build();
  connection.on('OnConnectionStatus', (status) => log(`connected to node ${status.nodeId} as ${status.subject}`));
  connection.on('OnEvent', applyEvent);
  connection.on('OnResync', (notice) => {
    log(`resync ${notice.topic}: ${notice.reason}`);
    positions.delete(notice.topic);
    subscribe([notice.topic]).catch((error) => log(`resubscribe failed: ${error.message}`));
  });
  connection.onreconnecting(() => { $('state').textContent = 'reconnecting'; });
  connection.onreconnected(() => {
    $('state').textContent = 'connected';
    subscribe(topics).catch((error) => log(`resubscribe failed: ${error.message}`));
  });
  connection.onclose((error) => { $('state').textContent = `disconnected${error ? `: ${error.message}` : ''}`; });
  try {
    $('state').textContent = 'connecting';
    await connection.start();
    $('state').textContent = 'connected';
    await subscribe(topics);
  } catch (error) {
    $('state').textContent = `failed: ${error.message}`;
  }
}

$('login').addEventListener('submit', connect);
fetch('/dashboard/config.json').then((response) => response.json()).then((config) => {
  if (config.clientId) $('client-id').value = config.clientId;
  if (config.clientSecret) $('client-secret').value = config.clientSecret;
  if (config.autoConnect) $('login').requestSubmit();
}).catch(() => undefined);
render();
