import assert from 'node:assert/strict';
import { BenchOptionsError, parseBenchOptions, selectedBy } from '@tradehub/bench/options';

describe('bench: options', () => {
  it('defaults to the full run written to bench/', () => {
    assert.deepEqual(parseBenchOptions([]), { quick: false, only: [], outDir: 'bench', renderOnly: false, help: false });
  });

  it('reads --quick, repeated and comma separated --only, --out in both spellings, --render-only', () => {
    const options = parseBenchOptions(['--quick', '--only', 'saturation-1n,ws', '--only=idle-memory', '--out=/tmp/x', '--render-only']);
    assert.deepEqual(options, { quick: true, only: ['saturation-1n', 'ws', 'idle-memory'], outDir: '/tmp/x', renderOnly: true, help: false });
  });

  it('refuses unknown options and missing values with a message naming them', () => {
    assert.throws(() => parseBenchOptions(['--fast']), (error: unknown) => error instanceof BenchOptionsError && /Unknown option '--fast'/.test(error.message));
    assert.throws(() => parseBenchOptions(['--only']), /--only needs a value/);
    assert.throws(() => parseBenchOptions(['--only', '--quick']), /--only needs a value/);
    assert.throws(() => parseBenchOptions(['--out=']), /--out needs a value/);
  });

  it('--only selects by substring of the workload id; no filter selects all', () => {
    assert.equal(selectedBy([], 'saturation-1n-1k-ws'), true);
    assert.equal(selectedBy(['1k-ws'], 'saturation-1n-1k-ws'), true);
    assert.equal(selectedBy(['socketio', 'idle'], 'saturation-1n-1k-ws'), false);
  });
});
