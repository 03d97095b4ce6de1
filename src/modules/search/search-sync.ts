import { Inject, Injectable } from '@nestjs/common';
import { SEARCH_ENGINE, type SearchEngine, type SyncOperation, type SyncOutcome } from './search-engine';
import { type ArticleState, ArticleDocuments } from '@/modules/articles/article-documents';

/**
 * The writes that bring the index in line with the database for `requests` (article id -> the
 * highest version an event named, 0 when none): a published article is indexed with its current
 * version; one that is gone or not published (yet, or any more) is deleted with a version above
 * any its document had, so that the delete wins over every earlier write and loses to every later one.
 */
export function planSync(requests: Map<number, bigint>, states: ArticleState[]): SyncOperation[] {
  const byId = new Map(states.map((state) => [state.id, state]));
  return [...requests].map(([id, eventVersion]): SyncOperation => {
    const state = byId.get(id);
    if (state?.document) return { kind: 'index', id, version: state.version, document: state.document };
    const version = state && state.version > eventVersion ? state.version : eventVersion;
    return { kind: 'delete', id, version };
  });
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Gathers the sync requests that arrive close together (jobs running side by side) into one bulk
 * write: a batch goes when it holds `maxBatch` articles or `delayMs` after its first request.
 * Several requests for one article become one write with the highest version seen. Each caller
 * learns the outcome of its own article: a failed write rejects, so its job is retried.
 */
export class SyncBatcher {
  private pending = new Map<number, bigint>();
  private waiters = new Map<number, Waiter[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly apply: (requests: Map<number, bigint>) => Promise<SyncOutcome[]>,
    private readonly options: { maxBatch: number; delayMs: number },
  ) {}

  add(articleId: number, version: bigint = 0n): Promise<void> {
    const known = this.pending.get(articleId);
    this.pending.set(articleId, known !== undefined && known > version ? known : version);
    const done = new Promise<void>((resolve, reject) => {
      this.waiters.set(articleId, [...(this.waiters.get(articleId) ?? []), { resolve, reject }]);
    });
    if (this.pending.size >= this.options.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.delayMs);
    return done;
  }

  /** Sends the batch gathered so far (no-op when empty). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const requests = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = new Map();
    this.apply(requests).then(
      (outcomes) => {
        const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
        for (const [id, list] of waiters) {
          const outcome = byId.get(id);
          const error = !outcome ? new Error(`article ${id}: no outcome from the search engine`) : outcome.result === 'failed' ? new Error(`article ${id}: ${outcome.error ?? 'write failed'}`) : undefined;
          for (const waiter of list) {
            if (error) waiter.reject(error);
            else waiter.resolve();
          }
        }
      },
      (error: Error) => {
        for (const list of waiters.values()) for (const waiter of list) waiter.reject(error);
      },
    );
  }
}

/** Keeps search documents in step with PostgreSQL (a no-op when the database is the index). */
@Injectable()
export class SearchSync {
  private readonly batcher = new SyncBatcher((requests) => this.apply(requests), { maxBatch: 500, delayMs: 25 });

  constructor(
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
    private readonly documents: ArticleDocuments,
  ) {}

  /** Brings one article's document up to date, batched with others arriving at the same time. */
  sync(articleId: number, eventVersion?: bigint): Promise<void> {
    if (!this.engine.syncsDocuments) return Promise.resolve();
    return this.batcher.add(articleId, eventVersion ?? 0n);
  }

  /** Reads the current state of `requests`' articles and writes it in one bulk request. */
  async apply(requests: Map<number, bigint>): Promise<SyncOutcome[]> {
    const states = await this.documents.states([...requests.keys()]);
    return this.engine.write(planSync(requests, states));
  }
}
