import { evaluate, typeOf } from './support.js';

describe('digests', () => {
  it('md5, sha1 and sha2 give hexadecimal digests of the UTF-8 bytes', () => {
    expect(evaluate("md5('Spark')")).toBe('8cde774d6f7333752ed72cacddb05126');
    expect(evaluate("sha1('Spark')")).toBe('85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c');
    expect(evaluate("sha('Spark')")).toBe('85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c');
    expect(evaluate("sha2('Spark', 256)")).toBe('529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b');
    expect(evaluate("sha2('Spark', 0)")).toBe(evaluate("sha2('Spark', 256)"));
  });

  it('sha2 gives null for an unsupported bit length', () => {
    expect(evaluate("sha2('Spark', 100)")).toBeNull();
  });

  it('crc32 gives the standard checksum as a bigint', () => {
    expect(evaluate("crc32('Spark')")).toBe(1557323817);
    expect(typeOf("crc32('Spark')")).toBe('bigint');
  });

  it('digests pass null through', () => {
    expect(evaluate('md5(s)', { s: null }, 's STRING')).toBeNull();
  });
});

describe('hash', () => {
  it('is a stable 32-bit integer that depends on every argument', () => {
    const h = evaluate("hash('Spark', array(123), 2)") as number;
    expect(Number.isInteger(h)).toBe(true);
    expect(h).toBe(evaluate("hash('Spark', array(123), 2)"));
    expect(h).not.toBe(evaluate("hash('Spark', array(123), 3)"));
    expect(h).toBeGreaterThanOrEqual(-(2 ** 31));
    expect(h).toBeLessThan(2 ** 31);
    expect(typeOf("hash('a')")).toBe('int');
  });

  it('skips null arguments rather than giving null', () => {
    expect(evaluate("hash('a', s)", { s: null }, 's STRING')).toBe(evaluate("hash('a')"));
  });

  it('hashes equal values of different integer types alike', () => {
    expect(evaluate('hash(n)', { n: 5 }, 'n BIGINT')).toBe(evaluate('hash(5)'));
  });
});
