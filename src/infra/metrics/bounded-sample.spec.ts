import { BoundedSample } from './bounded-sample';

describe('BoundedSample', () => {
  it('returns the value read in time', async () => {
    const sample = new BoundedSample(() => Promise.resolve(42), 100);
    await expect(sample.take()).resolves.toBe(42);
  });

  it('gives up after the timeout when the read hangs, and does not start a second read while it hangs', async () => {
    let reads = 0;
    const sample = new BoundedSample(() => {
      reads += 1;
      return new Promise<number>(() => undefined);
    }, 50);
    const started = Date.now();
    await expect(sample.take()).resolves.toBeUndefined();
    await expect(sample.take()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(reads).toBe(1);
  });

  it('reports a failed read as unavailable and reads afresh next time', async () => {
    let calls = 0;
    const sample = new BoundedSample(() => (++calls === 1 ? Promise.reject(new Error('down')) : Promise.resolve(7)), 100);
    await expect(sample.take()).resolves.toBeUndefined();
    await expect(sample.take()).resolves.toBe(7);
  });
});
