import type { ArticleDocument, SyncOutcome } from './search-engine';
import { planSync, SyncBatcher } from './search-sync';
import type { ArticleState } from '@/modules/articles/article-documents';

const document = (id: number): ArticleDocument => ({
  id,
  slug: `a-${id}`,
  title: 'T',
  description: 'D',
  body: 'B',
  tags: [],
  author: { id: 1, username: 'alice', image: null },
  favoritesCount: 0,
  publishedAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('planSync', () => {
  it('indexes published articles with their current version, whatever version the event named', () => {
    const states: ArticleState[] = [{ id: 1, version: 10n, document: document(1) }];
    expect(planSync(new Map([[1, 4n]]), states)).toEqual([{ kind: 'index', id: 1, version: 10n, document: document(1) }]);
  });

  it('deletes gone articles with the delete event’s version, and unpublished ones with their own', () => {
    const states: ArticleState[] = [{ id: 2, version: 20n, document: null }];
    expect(
      planSync(
        new Map([
          [2, 5n],
          [3, 31n],
        ]),
        states,
      ),
    ).toEqual([
      { kind: 'delete', id: 2, version: 20n },
      { kind: 'delete', id: 3, version: 31n },
    ]);
  });
});

describe('SyncBatcher', () => {
  function recordingBatcher(outcome: (id: number) => SyncOutcome['result'] = () => 'written', options = { maxBatch: 3, delayMs: 5 }) {
    const batches: Array<Map<number, bigint>> = [];
    const batcher = new SyncBatcher((requests) => {
      batches.push(requests);
      return Promise.resolve([...requests.keys()].map((id) => ({ id, result: outcome(id), ...(outcome(id) === 'failed' && { error: 'boom' }) })));
    }, options);
    return { batcher, batches };
  }

  it('gathers requests arriving together into one write, one entry per article with its highest version', async () => {
    const { batcher, batches } = recordingBatcher(undefined, { maxBatch: 100, delayMs: 5 });
    await Promise.all([batcher.add(1, 3n), batcher.add(2), batcher.add(1, 7n), batcher.add(1, 5n)]);
    expect(batches).toEqual([
      new Map([
        [1, 7n],
        [2, 0n],
      ]),
    ]);
  });

  it('sends a full batch at once and starts another', async () => {
    const { batcher, batches } = recordingBatcher();
    await Promise.all([1, 2, 3, 4].map((id) => batcher.add(id)));
    expect(batches.map((batch) => [...batch.keys()])).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects only the callers whose write failed; a stale write counts as done', async () => {
    const { batcher } = recordingBatcher((id) => (id === 2 ? 'failed' : id === 3 ? 'stale' : 'written'));
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2), batcher.add(3)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('article 2: boom'));
  });

  it('rejects every caller of a batch whose write threw', async () => {
    const batcher = new SyncBatcher(() => Promise.reject(new Error('database down')), { maxBatch: 10, delayMs: 1 });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
