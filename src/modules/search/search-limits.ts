import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError } from '@/common/errors/domain-error';
import type { Environment } from '@/config/environment';
import { isStatementTimeout } from '@/infra/prisma/prisma-errors';

/** Every search slot of this process is taken and none came free in time. */
export class SearchBusy extends DomainError {
  readonly status = 503;
  constructor() {
    super('search', 'is busy, try again shortly');
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': '2' };
  }
}

/** The search ran past its own statement timeout (SEARCH_STATEMENT_TIMEOUT_MS). */
export class SearchTooCostly extends DomainError {
  readonly status = 503;
  constructor() {
    super('search', 'took too long; try more specific words, a tag or an author');
  }
  override get headers(): Record<string, string> {
    return { 'Retry-After': '5' };
  }
}

/**
 * What bounds the cost of searches, whatever the engine: at most SEARCH_MAX_CONCURRENT run at a
 * time in one process (the others wait up to SEARCH_QUEUE_TIMEOUT_MS, then get 503), so that a
 * flood of searches cannot take every database connection from the rest of the API; totals are
 * counted up to SEARCH_TOTAL_MAX; and a search that runs past its own statement timeout is a 503
 * that says so. The per-client request limit on search routes is in the rate limits.
 */
@Injectable()
export class SearchLimits {
  private readonly logger = new Logger('SearchLimits');
  readonly totalMax: number;
  private readonly maxConcurrent: number;
  private readonly queueTimeoutMs: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(ConfigService) config: ConfigService<Environment, true>) {
    this.totalMax = config.get('SEARCH_TOTAL_MAX', { infer: true });
    this.maxConcurrent = config.get('SEARCH_MAX_CONCURRENT', { infer: true });
    this.queueTimeoutMs = config.get('SEARCH_QUEUE_TIMEOUT_MS', { infer: true });
  }

  /** Runs one search within the limits. */
  async run<T>(search: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await search();
    } catch (error) {
      if (!isStatementTimeout(error)) throw error;
      this.logger.warn('A search ran past SEARCH_STATEMENT_TIMEOUT_MS');
      throw new SearchTooCostly();
    } finally {
      this.release();
    }
  }

  /** `total` as the API reports it: never above the cap, whatever an engine counted. */
  capped(total: number): number {
    return Math.min(total, this.totalMax);
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const granted = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(new SearchBusy());
      }, this.queueTimeoutMs);
      this.waiting.push(granted);
    });
  }

  private release(): void {
    // The slot passes straight to the next waiting search, if any.
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
