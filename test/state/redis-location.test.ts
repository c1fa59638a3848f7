import { AnalysisError } from '../../src/errors.js';
import { parseRedisLocation, redact } from '../../src/state/redis-location.js';

describe('Redis checkpoint locations', () => {
  it('reads host, port, database and a prefix that may contain slashes', () => {
    expect(parseRedisLocation('redis://127.0.0.1:6390/2/checkpoints/word-count')).toEqual({
      tls: false, host: '127.0.0.1', port: 6390, db: 2, prefix: 'checkpoints/word-count', display: 'redis://127.0.0.1:6390/2/checkpoints/word-count',
    });
  });

  it('rediss:// means TLS, and credentials are decoded but never shown', () => {
    const l = parseRedisLocation('rediss://app:s%40cret@redis.example.com:6380/0/q1');
    expect(l).toMatchObject({ tls: true, host: 'redis.example.com', port: 6380, username: 'app', password: 's@cret', db: 0, prefix: 'q1' });
    expect(l.display).toBe('rediss://app:***@redis.example.com:6380/0/q1');
    expect(redact('redis://:pw@h:1/0/p')).toBe('redis://:***@h:1/0/p');
  });

  it('refuses a location without a database number or prefix, showing the expected form', () => {
    expect(() => parseRedisLocation('redis://localhost:6379/checkpoints')).toThrow(AnalysisError);
    expect(() => parseRedisLocation('redis://localhost:6379/checkpoints'))
      .toThrow(/must name a database number and a key prefix: write it as redis:\/\/\[user:password@\]host:port\/db\/prefix/);
    expect(() => parseRedisLocation('redis://localhost:6379/0')).toThrow(/database number and a key prefix/);
  });

  it('refuses braces in the prefix, which would break the hash tags', () => {
    expect(() => parseRedisLocation('redis://localhost:6379/0/a{b}')).toThrow(/may only contain letters, digits.*hash tags/);
  });

  it('a password never appears in an error message', () => {
    expect(() => parseRedisLocation('redis://u:topsecret@localhost:6379/x')).toThrow(/redis:\/\/u:\*\*\*@localhost/);
    try {
      parseRedisLocation('redis://u:topsecret@localhost:6379/x');
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
    }
  });
});

describe('a Redis checkpoint location given to writeStream', () => {
  it('that is malformed fails start() itself', async () => {
    const { testSession } = await import('../support/helpers.js');
    const { MemoryStream, types: T } = await import('../../src/index.js');
    const spark = testSession();
    const df = new MemoryStream(spark, T.struct([T.field('value', T.string())])).toDF();
    expect(() => df.writeStream.format('memory').queryName('bad_redis').option('checkpointLocation', 'redis://localhost:6379/checkpoints').start())
      .toThrow(/must name a database number and a key prefix/);
  });
});
