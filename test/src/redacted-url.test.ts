import assert from 'node:assert/strict';
import { redactedUrl } from '@tradehub/server';

describe('redactedUrl: request targets as they may be logged', () => {
  it('keeps the path and the values of harmless parameters', () => {
    assert.equal(redactedUrl('/hubs/trade/negotiate?negotiateVersion=1'), '/hubs/trade/negotiate?negotiateVersion=1');
    assert.equal(redactedUrl('/api/platforms'), '/api/platforms');
  });

  it('replaces every other value: tokens, passwords, connection tokens, unknown names', () => {
    assert.equal(redactedUrl('/hubs/trade?id=abc&access_token=eyJ.x.y'), '/hubs/trade?id=[redacted]&access_token=[redacted]');
    assert.equal(redactedUrl('/v1/init?server=demo&login=1000&password=p%40ss'), '/v1/init?server=demo&login=[redacted]&password=[redacted]');
    assert.equal(redactedUrl('/x?access%5Ftoken=t&bare'), '/x?access%5Ftoken=[redacted]&[redacted]');
  });
});
