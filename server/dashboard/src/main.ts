import { connect, type TradehubClient } from '@tradehub/client';
import { DeskSession } from './desk-session.js';
import { byId } from './dom.js';
import { OperatorTab } from './operator-tab.js';
import { StatusBar } from './status-bar.js';

/** What `/dashboard/config.json` says: the embedded demo's public credentials, or nothing. */
interface PageConfig {
  clientId?: string;
  clientSecret?: string;
  autoConnect?: boolean;
}

const status = new StatusBar();
const operator = new OperatorTab();
let client: TradehubClient | undefined;
let desk: DeskSession | undefined;

const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
const platformPicker = (): HTMLSelectElement => byId<HTMLSelectElement>('platform');

function problem(message: string): void {
  byId('problems').textContent = message;
}

/** Signs in with the form's client credentials: the typed client gets and renews the tokens. */
async function signIn(): Promise<void> {
  await signOut();
  problem('');
  status.setState('connecting');
  try {
    const connected = await connect({
      url: location.origin,
      credentials: { clientId: input('client-id').value.trim(), clientSecret: input('client-secret').value },
      // The client never gives up; a desk wants to be back within seconds of a node restart.
      reconnect: { maxDelayMs: 3_000 },
    });
    client = connected;
    connected.on('error', (error) => problem(error.message));
    connected.on('connection', ({ state, reason }) => {
      if (state === 'disconnected' && reason) problem(reason.message);
    });
    status.watch(connected);
    byId('subject').textContent = connected.connectionStatus?.subject ?? '';
    connected.on('status', (greeting) => {
      byId('subject').textContent = greeting.subject;
    });
    document.body.classList.add('signed-in');
    await fillPlatforms(connected);
    desk = new DeskSession(connected, status, problem);
    await openDesk();
  } catch (error) {
    status.setState('failed');
    problem(error instanceof Error ? error.message : String(error));
  }
}

async function signOut(): Promise<void> {
  desk?.close();
  desk = undefined;
  status.unwatch();
  const closing = client;
  client = undefined;
  document.body.classList.remove('signed-in');
  status.setState('signed out');
  await closing?.close();
}

/** The platform picker lists the platforms the token may read, keeping the current choice when it still can. */
async function fillPlatforms(connected: TradehubClient): Promise<void> {
  const picker = platformPicker();
  const current = picker.value;
  const platforms = await connected.platforms();
  picker.replaceChildren(...platforms.map((platform) => new Option(`${platform.name} (${platform.kind.toUpperCase()})`, platform.id)));
  if (platforms.some((platform) => platform.id === current)) picker.value = current;
}

async function openDesk(): Promise<void> {
  if (!desk || platformPicker().value === '') return;
  await desk.open({ platform: platformPicker().value, login: input('login').value.trim() });
}

function showTab(name: 'desk' | 'operator'): void {
  byId('desk').hidden = name !== 'desk';
  byId('operator').hidden = name !== 'operator';
  byId('tab-desk').classList.toggle('active', name === 'desk');
  byId('tab-operator').classList.toggle('active', name === 'operator');
  if (name === 'operator') operator.show();
  else operator.hide();
}

byId('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn();
});
byId('sign-out').addEventListener('click', () => void signOut());
platformPicker().addEventListener('change', () => void openDesk());
input('login').addEventListener('change', () => void openDesk());
byId('tab-desk').addEventListener('click', () => showTab('desk'));
byId('tab-operator').addEventListener('click', () => showTab('operator'));

fetch('/dashboard/config.json', { cache: 'no-store' })
  .then((response) => response.json() as Promise<PageConfig>)
  .then((config) => {
    if (config.clientId) input('client-id').value = config.clientId;
    if (config.clientSecret) input('client-secret').value = config.clientSecret;
    if (config.autoConnect) void signIn();
  })
  .catch(() => problem('The page could not read its configuration; sign in with your client credentials.'));
