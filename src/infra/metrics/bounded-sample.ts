/**
 * Reads a value for a metrics scrape without ever letting a hanging dependency hang the scrape:
 * each read gets `timeoutMs`, after which the scrape goes on without it (the caller reports the
 * source as unavailable). A read still hanging from an earlier scrape is waited on again rather
 * than started twice, so a dependency that never answers costs one pending call, not one per scrape.
 */
export class BoundedSample<T> {
  private inFlight?: Promise<T>;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly timeoutMs: number,
  ) {}

  /** The value, or undefined when the read failed or did not answer in time. */
  async take(): Promise<T | undefined> {
    if (!this.inFlight) {
      const started = this.read();
      this.inFlight = started;
      // Settled either way: the next scrape starts a fresh read.
      void started.then(
        () => this.settle(started),
        () => this.settle(started),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    try {
      return await Promise.race([this.inFlight.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private settle(read: Promise<T>): void {
    if (this.inFlight === read) this.inFlight = undefined;
  }
}
