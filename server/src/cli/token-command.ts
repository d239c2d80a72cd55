import { parseArgs } from 'node:util';
import type { TerminalTokenView } from '../auth/terminal-token-service.js';
import { processEnv } from '../config/process-env.js';
import { CommandFailure, UsageError } from './cli-errors.js';
import { HELP_OPTION, parsedOrUsageError } from './command-args.js';
import type { Command } from './command.js';
import { hubRequest, hubUrlFrom } from './hub-request.js';

const OPTIONS = {
  ...HELP_OPTION,
  hub: { type: 'string' },
  'admin-token': { type: 'string' },
  platform: { type: 'string' },
  login: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  'expires-in': { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type IssuedToken = TerminalTokenView & { token: string };

export const tokenCommand: Command = {
  name: 'token',
  summary: 'issue, list, revoke or replace terminal tokens on a running hub (admin token)',
  help: [
    'Usage: tradehub token ACTION [OPTIONS]',
    '',
    'Actions, against a running hub\'s /api/tokens:',
    '  issue --platform ID --login N --name TEXT [--scopes LIST] [--expires-in SECONDS] [--device ID]',
    '                  prints the new token once: keep it, it cannot be shown again',
    '  list            the tokens of the admin\'s organization',
    '  revoke ID       revokes a token at once, on every node',
    '  replace ID      gives a token a new secret (printed once); the old one stops working',
    '',
    'Options:',
    '  --hub URL            the hub (TRADEHUB_HUB_URL; default http://127.0.0.1:5000)',
    '  --admin-token TOKEN  an access token with the admin scope (TRADEHUB_ADMIN_TOKEN, which',
    '                       keeps it out of the process list); get one at POST /connect/token',
    '  --json               print the hub\'s answer as JSON',
    '  -h, --help           this help',
    '',
    'Exits 1 with one line when the hub refuses (HTTP status and reason) or cannot be reached.',
  ].join('\n'),
  async run(args, env) {
    const { values, positionals } = parsedOrUsageError(
      () => parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true }), Object.keys(OPTIONS));
    if (values.help) {
      console.log(tokenCommand.help);
      return 0;
    }
    const [action, id, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]?.slice(0, 40)}'`);
    const hub = hubUrlFrom(values.hub, env);
    const adminToken = values['admin-token'] ?? processEnv(env, 'TRADEHUB_ADMIN_TOKEN');
    const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> => {
      if (adminToken === undefined) throw new UsageError('an admin token is needed: --admin-token or TRADEHUB_ADMIN_TOKEN');
      return hubRequest(hub, method, path, adminToken, body);
    };
    const print = (answer: unknown, human: () => void): void => {
      if (values.json) console.log(JSON.stringify(answer, null, 2));
      else human();
    };
    switch (action) {
      case 'issue': {
        if (id !== undefined) throw new UsageError(`unexpected argument '${id.slice(0, 40)}'`);
        const issued = issuedToken(await call('POST', '/api/tokens', issueBody(values)));
        print(issued, () => printIssued('issued', issued));
        return 0;
      }
      case 'list': {
        if (id !== undefined) throw new UsageError(`unexpected argument '${id.slice(0, 40)}'`);
        const answer = await call('GET', '/api/tokens');
        if (!Array.isArray(answer)) throw new CommandFailure('GET /api/tokens: the hub answered something other than a list');
        print(answer, () => printList(answer as TerminalTokenView[]));
        return 0;
      }
      case 'revoke': {
        const answer = await call('DELETE', `/api/tokens/${encodeURIComponent(requiredId(id, 'revoke'))}`) as TerminalTokenView;
        print(answer, () => console.log(`revoked terminal token ${answer.id} (${answer.name}, login ${answer.login} on ${answer.platform})`));
        return 0;
      }
      case 'replace': {
        const issued = issuedToken(await call('POST', `/api/tokens/${encodeURIComponent(requiredId(id, 'replace'))}/replace`));
        print(issued, () => printIssued('new secret for', issued));
        return 0;
      }
      case undefined:
        throw new UsageError('say what to do: issue, list, revoke ID or replace ID');
      default:
        throw new UsageError(`unknown action '${action.slice(0, 40)}': issue, list, revoke or replace`);
    }
  },
};

function issueBody(values: { platform?: string; login?: string; name?: string; scopes?: string; 'expires-in'?: string; device?: string }): Record<string, unknown> {
  const missing = (['platform', 'login', 'name'] as const).filter((option) => values[option] === undefined);
  if (missing.length > 0) throw new UsageError(`token issue needs ${missing.map((option) => `--${option}`).join(', ')}`);
  const body: Record<string, unknown> = { platform: values.platform, login: values.login, name: values.name };
  if (values.scopes !== undefined) body.scopes = values.scopes.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
  if (values['expires-in'] !== undefined) {
    const seconds = Number(values['expires-in']);
    if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`--expires-in must be a whole number of seconds, not '${values['expires-in'].slice(0, 20)}'`);
    body.expiresInSeconds = seconds;
  }
  if (values.device !== undefined) body.device = values.device;
  return body;
}

function requiredId(id: string | undefined, action: string): string {
  if (id === undefined) throw new UsageError(`token ${action} needs the token's ID (tradehub token list shows them)`);
  return id;
}

/** Checked where it enters: an answer without a token would otherwise print "undefined" as the secret. */
function issuedToken(answer: unknown): IssuedToken {
  const candidate = answer as Partial<IssuedToken> | null;
  if (typeof candidate?.token !== 'string' || typeof candidate.id !== 'string') throw new CommandFailure('the hub answered without a token');
  return candidate as IssuedToken;
}

function printIssued(verb: string, issued: IssuedToken): void {
  console.log(`${verb} terminal token ${issued.id}: login ${issued.login} on ${issued.platform}, scopes ${issued.scopes.join(' ')}, expires ${dateOf(issued.expiresAt)}`);
  console.log(`token (shown once, keep it secret): ${issued.token}`);
}

function printList(tokens: readonly TerminalTokenView[]): void {
  if (tokens.length === 0) {
    console.log('no terminal tokens');
    return;
  }
  for (const token of tokens) {
    console.log([token.id, token.status, `${token.platform}/${token.login}`, JSON.stringify(token.name), token.scopes.join(' '), `expires ${dateOf(token.expiresAt)}`].join('  '));
  }
}

function dateOf(time: number | null): string {
  return time === null ? 'never' : new Date(time).toISOString();
}
