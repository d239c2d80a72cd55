import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '@tradehub/server';
import { TRADEHUB_NGINX_CONF } from './support/nginx.js';

/**
 * Docker cannot run here: these tests check what can be checked without it, that the Dockerfile
 * and the compose file name files, commands, ports and services that exist and agree.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface ComposeService {
  environment?: Record<string, string>;
  env_file?: string;
  volumes?: string[];
  image?: string;
  build?: { context: string; dockerfile: string };
}

/** The settings of `env`-file text, as docker compose reads them (KEY=value lines, # comments). */
function envFile(text: string): Record<string, string> {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/** The instructions of a Dockerfile stage by keyword (continuation lines joined). */
function instructions(stage: string, keyword: string): string[] {
  return stage.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => line.startsWith(`${keyword} `)).map((line) => line.slice(keyword.length + 1));
}

/** The server holds a long poll this long when it has nothing to send (connection-endpoint.ts). */
const SERVER_LONG_POLL_SECONDS = 90;
/** nginx's proxy_read_timeout when a configuration sets none. */
const NGINX_DEFAULT_READ_TIMEOUT_SECONDS = 60;

/** The directives of the `location` block that starts with `header` in the deployed configuration. */
function locationBlock(text: string, header: string): string {
  const start = text.indexOf(`location ${header} {`);
  assert.ok(start >= 0, `tradehub.conf has 'location ${header}'`);
  return text.slice(start, text.indexOf('}', start));
}

/** A directive's value in seconds (`120s`) within a block. */
function seconds(block: string, directive: string): number {
  const match = new RegExp(`^\\s*${directive} (\\d+)s;`, 'm').exec(block);
  assert.ok(match?.[1], `${directive} is set in ${block.split('\n')[0]}`);
  return Number(match[1]);
}

describe('deployment files: deploy/nginx/tradehub.conf, the Dockerfile and deploy/docker-compose.yml', () => {
  const compose = parseYaml(read('deploy/docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const hubNames = Object.keys(compose.services).filter((name) => compose.services[name]?.build !== undefined);

  it('runs two hubs from the Dockerfile, Redis and nginx with the deployed nginx configuration', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['hub1', 'hub2', 'nginx', 'redis']);
    assert.deepEqual(hubNames.sort(), ['hub1', 'hub2']);
    for (const name of hubNames) {
      const hub = compose.services[name] as ComposeService;
      assert.equal(hub.build?.dockerfile, 'Dockerfile');
      assert.ok(existsSync(`${ROOT}deploy/${hub.build?.context}/Dockerfile`), 'the build context holds the Dockerfile');
      assert.equal(hub.environment?.REDIS_URL, 'redis://redis:6379', `${name} shares the compose file's Redis`);
      assert.equal(hub.environment?.NODE_ID, name);
      for (const volume of hub.volumes ?? []) assert.ok(existsSync(`${ROOT}deploy/${volume.split(':')[0]}`), `${name} mounts ${volume}, which exists`);
    }
    const nginx = compose.services.nginx as ComposeService;
    assert.ok(nginx.volumes?.includes('./nginx/tradehub.conf:/etc/nginx/conf.d/default.conf:ro'), 'nginx runs deploy/nginx/tradehub.conf');
  });

  it("names the hubs in nginx's upstreams by their compose service name and port", () => {
    const upstreamServers = [...readFileSync(TRADEHUB_NGINX_CONF, 'utf8').matchAll(/^\s*server (\S+);/gm)].map((match) => match[1]);
    const hubAddresses = hubNames.map((name) => `${name}:${compose.services[name]?.environment?.PORT}`);
    assert.deepEqual([...new Set(upstreamServers)].sort(), hubAddresses.sort());
  });

  it('keeps secrets out of the compose file: its configuration loads in production with the example env file', () => {
    const hub = compose.services.hub1 as ComposeService;
    assert.equal(hub.env_file, 'tradehub.env');
    assert.match(read('deploy/.gitignore'), /^tradehub\.env$/m, 'the real env file is never committed');
    const example = envFile(read('deploy/tradehub.env.example'));
    const loaded = loadConfig({ ...example, NODE_ENV: 'production', TRADEHUB_CONFIG: `${ROOT}deploy/tradehub.yaml` });
    assert.equal(loaded.demo, false);
    assert.equal(loaded.config.auth.signing.algorithm, 'HS256');
    assert.deepEqual(Object.keys(hub.environment ?? {}).filter((name) => /SECRET|PASSWORD/.test(name)), [], 'no secret in the compose environment');
    assert.throws(() => loadConfig({ NODE_ENV: 'production', TRADEHUB_CONFIG: `${ROOT}deploy/tradehub.yaml` }), /environment variable \w+ is not set/);
  });

  it('builds in two stages and runs the start command of package.json as user node, with a health check', () => {
    const [buildStage = '', runtime = ''] = read('Dockerfile').split(/^FROM /m).slice(1);
    assert.match(buildStage, /^node:20\S* AS build/);
    assert.ok(instructions(buildStage, 'RUN').includes('npm run build'));
    assert.ok(instructions(runtime, 'RUN').some((run) => run.startsWith('npm ci --omit=dev')), 'production dependencies only');
    const bin = (JSON.parse(read('server/package.json')) as { bin: Record<string, string> }).bin.tradehub;
    assert.deepEqual(JSON.parse(instructions(runtime, 'CMD')[0] ?? '[]'), ['node', `server/${bin?.replace(/^\.\//, '')}`], 'the tradehub bin of @tradehub/server');
    assert.deepEqual(instructions(runtime, 'USER'), ['node']);
    const port = /PORT=(\d+)/.exec(instructions(runtime, 'ENV').join(' '))?.[1];
    assert.deepEqual(instructions(runtime, 'EXPOSE'), [port]);
    assert.match(instructions(runtime, 'HEALTHCHECK')[0] ?? '', /CMD \["node", "-e", ".*\/health\/live/);
    for (const copied of instructions(runtime, 'COPY').filter((args) => args.startsWith('--from=build'))) {
      const source = copied.split(' ')[1]?.replace(/^\/app\//, '') ?? '';
      assert.ok(existsSync(`${ROOT}${source}`), `${source} exists after npm run build`);
    }
  });

  it('keeps the nginx values the transports need: upgrades, no buffering, time-outs above a long poll', () => {
    const text = readFileSync(TRADEHUB_NGINX_CONF, 'utf8');
    assert.match(text, /^\s*proxy_http_version 1\.1;/m);
    assert.match(text, /^\s*proxy_set_header Upgrade \$http_upgrade;/m);
    assert.match(text, /^\s*proxy_set_header Connection \$tradehub_connection;/m);
    const hubs = locationBlock(text, '/hubs/');
    assert.match(hubs, /proxy_pass http:\/\/tradehub_hubs;/);
    assert.match(hubs, /proxy_buffering off;/);
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const value = seconds(hubs, directive);
      assert.ok(value > SERVER_LONG_POLL_SECONDS && value > NGINX_DEFAULT_READ_TIMEOUT_SECONDS, `${directive} ${value}s outlasts a ${SERVER_LONG_POLL_SECONDS} s long poll`);
    }
    const ws = locationBlock(text, '= /ws');
    assert.match(ws, /proxy_pass http:\/\/tradehub_nodes;/, '/ws needs no affinity');
    assert.ok(seconds(ws, 'proxy_read_timeout') > NGINX_DEFAULT_READ_TIMEOUT_SECONDS);
  });
});
