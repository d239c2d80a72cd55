import assert from 'node:assert/strict';
import {
  DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS, LoadUsageError, MAX_CONNECTIONS, defaultSourceAddresses, openFileLimit, parseLoadOptions, parseSourceAddresses,
  randomLoopbackBlock,
  parseTargetUrl, sourceAddressFor, type LoadOptions,
} from '@tradehub/server/load';

const URL_ARG = ['--url', 'http://127.0.0.1:5000'];

function parse(args: string[], openFiles = 1_000_000): LoadOptions {
  const options = parseLoadOptions(args, openFiles);
  assert.notEqual(options, 'help');
  return options as LoadOptions;
}

function refusal(args: string[], openFiles = 1_000_000): string {
  try {
    parseLoadOptions(args, openFiles);
  } catch (error) {
    assert.ok(error instanceof LoadUsageError, `a usage error, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`'${args.join(' ')}' was accepted`);
}

describe('tradehub-load: options', () => {
  it('reads a full command line, with the defaults the help names', () => {
    const options = parse(['fanout', ...URL_ARG, '--connections', '5000', '--ramp', '500/s', '--protocol', 'messagepack', '--rate', '2000', '--duration', '30', '--json', 'r.json', '--server-pid', '42']);
    assert.equal(options.scenario, 'fanout');
    assert.equal(options.connections, 5000);
    assert.equal(options.ramp, 500);
    assert.equal(options.protocol, 'messagepack');
    assert.equal(options.mode, 'raw');
    assert.equal(options.clientId, 'demo-reader');
    assert.equal(options.publisherId, 'demo-publisher');
    assert.equal(options.topics, 'hot');
    assert.equal(options.publishVia, 'hub');
    assert.equal(options.serverPid, 42);
    assert.equal(options.json, 'r.json');
    assert.ok(options.maxTotal >= options.duration, 'the hard cap covers the duration');
    assert.equal(parse(['many-topics', ...URL_ARG]).topics, 'many', 'many-topics spreads topics by default');
    assert.equal(parseLoadOptions(['--help']), 'help');
  });

  it('refuses every target that is not loopback, with the reason', () => {
    for (const url of ['http://10.0.0.1:5000', 'http://example.com', 'http://[::1]:5000', 'http://128.0.0.1', 'http://127.example.com']) {
      assert.match(refusal(['fanout', '--url', url]), /not a loopback address: tradehub-load only targets 127\.0\.0\.0\/8 or localhost/, url);
    }
    assert.match(refusal(['fanout', '--url', 'ws://127.0.0.1:5000']), /must be http/);
    assert.match(refusal(['fanout', '--url', 'nonsense']), /is not a URL/);
    assert.match(refusal(['fanout']), /--url is required/);
    assert.match(refusal(['fanout', ...URL_ARG, '--publish-via', 'redis', '--redis-url', 'redis://10.1.1.1:6379']), /--redis-url host '10\.1\.1\.1' is not a loopback address/);
    assert.match(refusal(['fanout', ...URL_ARG, '--publish-via', 'redis', '--redis-cluster', '127.0.0.1:7000,10.1.1.2:7001']),
      /--redis-cluster host '10\.1\.1\.2' is not a loopback address/);
    assert.match(refusal(['fanout', ...URL_ARG, '--publish-via', 'redis', '--redis-cluster', 'redis://127.0.0.1:7000']), /--redis-cluster node '.*' is not HOST:PORT/);
    assert.deepEqual(parse(['fanout', ...URL_ARG, '--publish-via', 'redis', '--redis-cluster', '127.0.0.1:7000, 127.0.0.1:7001']).redisCluster,
      ['127.0.0.1:7000', '127.0.0.1:7001']);
    assert.equal(parseTargetUrl('http://localhost:5000').hostname, 'localhost');
    assert.equal(parseTargetUrl('http://127.3.4.5:80').hostname, '127.3.4.5');
  });

  it('refuses counts above the limits and above ulimit -n', () => {
    assert.match(refusal(['fanout', ...URL_ARG, '--connections', String(MAX_CONNECTIONS + 1)]), /--connections must be between 1 and 50000/);
    assert.match(refusal(['fanout', ...URL_ARG, '--connections', '0']), /--connections must be between/);
    assert.match(refusal(['fanout', ...URL_ARG, '--connections', '2.5']), /whole number/);
    assert.match(refusal(['fanout', ...URL_ARG, '--connections', '5000'], 4096), /ulimit -n \(RLIMIT_NOFILE\) is 4096: raise it/);
    assert.equal(parse(['fanout', ...URL_ARG, '--connections', '4000'], 4096).connections, 4000);
    assert.match(refusal(['fanout', ...URL_ARG, '--connections', '30000', '--source-addresses', '127.0.0.2']), /needs at least 2 source addresses/);
  });

  it('refuses unknown scenarios, options and values, and contradictions', () => {
    assert.match(refusal(['flood', ...URL_ARG]), /Unknown scenario 'flood'/);
    assert.match(refusal([...URL_ARG]), /Name one scenario/);
    assert.match(refusal(['fanout', ...URL_ARG, '--bogus']), /Unknown option '--bogus'/);
    assert.match(refusal(['fanout', ...URL_ARG, '--mode', 'fast']), /--mode must be one of raw, official/);
    assert.match(refusal(['fanout', ...URL_ARG, '--mode', 'official', '--protocol', 'messagepack']), /--mode official speaks JSON only/);
    assert.match(refusal(['fanout', ...URL_ARG, '--rate', 'lots']), /--rate must be a number/);
    assert.match(refusal(['fanout', ...URL_ARG, '--token', 't', '--token-per-connection']), /exclude each other/);
    assert.match(refusal(['fanout', ...URL_ARG, '--duration', '2', '--warmup', '2']), /--warmup must be shorter/);
  });

  it('never echoes a secret or token in a refusal', () => {
    const message = refusal(['fanout', '--url', 'http://10.0.0.1', '--client-secret', 'sekrit-value', '--token', 'tok-value']);
    assert.doesNotMatch(message, /sekrit-value|tok-value/);
  });

  it('reads ulimit -n from /proc limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    assert.equal(openFileLimit(text), 1024);
    assert.equal(openFileLimit(text.replace('1024 ', 'unlimited')), Number.POSITIVE_INFINITY);
  });
});

describe('tradehub-load: source addresses', () => {
  it('expands ranges and lists within 127.0.0.0/8 and refuses others', () => {
    assert.deepEqual(parseSourceAddresses('127.0.0.2-127.0.0.5'), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
    assert.deepEqual(parseSourceAddresses('127.0.0.9,127.0.1.2-127.0.1.3'), ['127.0.0.9', '127.0.1.2', '127.0.1.3']);
    assert.throws(() => parseSourceAddresses('10.0.0.1'), /not an IPv4 address in 127\.0\.0\.0\/8/);
    assert.throws(() => parseSourceAddresses('127.0.0.2-127.0.1.4'), /within one \/24/);
    assert.throws(() => parseSourceAddresses('127.0.0.9-127.0.0.3'), /ends before it starts/);
  });

  it('spreads connections evenly over the addresses, and gives enough addresses by default', () => {
    const addresses = parseSourceAddresses('127.0.0.2-127.0.0.4');
    const counts = new Map<string, number>();
    for (let index = 0; index < 3000; index++) {
      const address = sourceAddressFor(index, addresses);
      counts.set(address, (counts.get(address) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [1000, 1000, 1000]);
    assert.deepEqual(defaultSourceAddresses(100, '127.9.8'), ['127.9.8.2']);
    assert.deepEqual(defaultSourceAddresses(2500, '127.9.8'), ['127.9.8.2', '127.9.8.3', '127.9.8.4']);
    const forMax = defaultSourceAddresses(MAX_CONNECTIONS);
    assert.equal(forMax.length, Math.ceil(MAX_CONNECTIONS / DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS));
    assert.ok(forMax.every((address) => parseSourceAddresses(address).length === 1), 'every default address is in 127.0.0.0/8');
    assert.equal(parse(['fanout', ...URL_ARG, '--connections', String(MAX_CONNECTIONS)]).sourceAddresses.length, forMax.length);
  });

  it('takes a fresh /24 outside 127.0.0.0/16 for every run, so that no run meets the last one\'s TIME_WAIT sockets', () => {
    const blocks = new Set(Array.from({ length: 20 }, () => randomLoopbackBlock()));
    assert.ok(blocks.size > 10, `20 runs drew only ${blocks.size} distinct blocks`);
    for (const block of blocks) assert.match(block, /^127\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4])\.\d{1,3}$/);
    const first = parse(['fanout', ...URL_ARG]).sourceAddresses[0] as string;
    assert.doesNotMatch(first, /^127\.0\./, 'defaults stay clear of the servers\' 127.0.0.0/16');
  });
});
