import { withRetries } from '../../src/state/retry.js';

const transient = Object.assign(new Error('Connection is closed.'), { transient: true });
const options = {
  budgetMs: 200,
  initialDelayMs: 5,
  isTransient: (e: unknown) => (e as { transient?: boolean }).transient === true,
  exhausted: (last: unknown, attempts: number) => new Error(`gave up after ${attempts} attempts: ${(last as Error).message}`),
};

describe('retries with jittered backoff', () => {
  it('retries a passing failure until the operation succeeds', async () => {
    let calls = 0;
    const result = await withRetries(async () => {
      if (++calls < 3) throw transient;
      return 'done';
    }, options);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up with the error the caller builds once the budget is spent', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw transient; }, options)).rejects.toThrow(/gave up after \d+ attempts: Connection is closed\./);
    expect(calls).toBeGreaterThan(2);
  });

  it('never retries a programmer error or an error that is not passing', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new TypeError('x is not a function'); }, { ...options, isTransient: () => true })).rejects.toThrow(TypeError);
    await expect(withRetries(async () => { calls++; throw new Error('WRONGTYPE'); }, options)).rejects.toThrow('WRONGTYPE');
    expect(calls).toBe(2);
  });
});
