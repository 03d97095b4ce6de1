import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Job } from 'bullmq';
import { createTestApp } from '../helpers/app';
import { unique } from '../helpers/factories';
import { forgetFeatureDocuments, handlePendingSearchEvents, runSearchJob, searchEnginesUnderTest, searchProcessor } from '../helpers/search';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { PostgresSearchEngine } from '@/modules/search/engines/postgres-search.engine';
import { FeatureDocumentSources, FeatureDocumentSync, FeatureSearch } from '@/modules/search/feature-documents';
import { type FeatureDocument, SEARCH_ENGINE } from '@/modules/search/search-engine';
import type { QueueRuntime } from '@/infra/queue/queue-runtime';

/**
 * The search of generated features (`--searchable`) on each engine in turn: the search queue's
 * processor reads an item's document from its feature's source and writes it to the engine, with
 * its event's id as version; FeatureSearch reads it back. The source here stands for a feature's
 * table (the generator's own CI check runs a real generated feature through the same path).
 */

const ENGINES = searchEnginesUnderTest('feature documents suite');

describe.each(ENGINES)('Feature documents on the %s engine', (engine) => {
  let app: NestExpressApplication;
  let processor: QueueRuntime;
  /** The feature's "table": what its source answers right now. */
  const items = new Map<number, FeatureDocument>();
  const type = unique('notes').toLowerCase().replace(/[^a-z0-9]/g, '');

  function item(id: number, title: string, text: string): FeatureDocument {
    const document = { id, title, text, owner: 'alice', updatedAt: new Date().toISOString() };
    items.set(id, document);
    return document;
  }

  /** Runs one outbox-style job through the search processor, as the worker would. */
  const handle = (name: 'changed' | 'deleted', id: number, eventId: number): Promise<void> =>
    runSearchJob(app, processor, `${type}.${name}`, { id, eventId: String(eventId) });

  const search = (q: string, page: { limit?: number; offset?: number } = {}) => app.get(FeatureSearch).search(type, { q, ...page });
  const ids = async (q: string): Promise<number[]> => (await search(q)).hits.map((hit) => hit.id);

  beforeAll(async () => {
    app = await createTestApp((builder) =>
      engine === 'postgres' ? builder.overrideProvider(SEARCH_ENGINE).useFactory({ factory: (postgres: PostgresSearchEngine) => postgres, inject: [PostgresSearchEngine] }) : builder,
    );
    processor = searchProcessor(app);
    app.get(FeatureDocumentSources).register({
      type,
      documents: (requested) => Promise.resolve(requested.flatMap((id) => (items.has(id) ? [items.get(id)!] : []))),
      ids: (after, limit) => Promise.resolve([...items.keys()].filter((id) => id > after).sort((a, b) => a - b).slice(0, limit)),
    });
  });

  afterAll(async () => {
    await app.get(PrismaService).$executeRaw`DELETE FROM search_documents WHERE type = ${type}`;
    await app.close();
  });

  it('indexes a changed item, finds it by its words with highlights, and forgets it once deleted', async () => {
    item(1, 'Dragons of the north', 'Notes on training dragons in winter.');
    await handle('changed', 1, 10);

    const found = await search('dragon');
    expect(found.total).toBe(1);
    expect(found.hits[0]).toMatchObject({ id: 1, highlights: { title: ['<em>Dragons</em> of the north'] } });
    expect(found.hits[0].highlights.text?.join(' ')).toContain('<em>dragons</em>');

    items.delete(1);
    await handle('deleted', 1, 11);
    expect(await ids('dragon')).toEqual([]);
  });

  it('keeps the newest version: a late or repeated event never brings back an old document or a deleted item', async () => {
    item(2, 'Castle plans', 'Walls and towers.');
    await handle('changed', 2, 20);
    item(2, 'Garden plans', 'Roses and tulips.');
    await handle('changed', 2, 22);
    // The first event again, late: the source answers the current document, but with an older version.
    item(2, 'Castle plans', 'Walls and towers.');
    await handle('changed', 2, 20);
    item(2, 'Garden plans', 'Roses and tulips.');
    expect(await ids('roses')).toEqual([2]);
    expect(await ids('castle')).toEqual([]);

    items.delete(2);
    await handle('deleted', 2, 23);
    item(2, 'Garden plans', 'Roses and tulips.');
    await handle('changed', 2, 22);
    expect(await ids('roses')).toEqual([]);
  });

  it('ranks title matches first, pages with a total, and applies the search grammar', async () => {
    item(3, 'Harbour lights', 'A lighthouse keeper writes about ships.');
    item(4, 'Ships and sails', 'Rigging, knots and a harbour.');
    item(5, 'Mountain huts', 'Nothing about the sea at all.');
    for (const [position, id] of [3, 4, 5].entries()) await handle('changed', id, 30 + position);

    expect(await ids('ships')).toEqual([4, 3]);
    expect(await ids('ships -knots')).toEqual([3]);
    expect(await ids('"lighthouse keeper"')).toEqual([3]);
    expect(await ids('mountain or rigging')).toEqual(expect.arrayContaining([4, 5]));
    const firstPage = await search('harbour', { limit: 1 });
    const secondPage = await search('harbour', { limit: 1, offset: 1 });
    expect([firstPage.total, secondPage.total]).toEqual([2, 2]);
    expect([...firstPage.hits, ...secondPage.hits].map((hit) => hit.id).sort()).toEqual([3, 4]);
  });

  it("never shows one feature's documents in another's search", async () => {
    item(6, 'Unique zeppelin', 'Airships.');
    await handle('changed', 6, 40);

    expect((await app.get(FeatureSearch).search(`${type}x`, { q: 'zeppelin' })).hits).toEqual([]);
    expect(await ids('zeppelin')).toEqual([6]);
  });

  it('fails the job (to be retried) for a feature this process does not know, and for a job of no feature', async () => {
    await expect(app.get(FeatureDocumentSync).sync(`${type}-unknown`, 1, 1n)).rejects.toThrow('no search document source');
    await expect(processor.process({ name: 'Not.A.Job', data: {} } as unknown as Job)).rejects.toThrow('has no handler');
  });

  it('completes the outbox event of a handled job', async () => {
    item(7, 'Completed event', 'Done.');
    const outbox = app.get(OutboxService);
    const prisma = app.get(PrismaService);
    await outbox.add(prisma, { queue: 'search', name: `${type}.changed`, payload: { id: 7 } });
    const event = await prisma.outboxEvent.findFirstOrThrow({ where: { queue: 'search', name: `${type}.changed` }, orderBy: { id: 'desc' } });
    expect(event.completedAt).toBeNull();
    expect(await handlePendingSearchEvents(app, processor, `${type}.`)).toBe(1);

    expect((await prisma.outboxEvent.findUniqueOrThrow({ where: { id: event.id } })).completedAt).not.toBeNull();
  });

  it('writes every item again on a resync (search:reindex asks the worker for one), in new events that win over older ones', async () => {
    await forgetFeatureDocuments(app, engine, type);
    const before = await ids('zeppelin or harbour or completed');
    expect(before).toEqual([]);
    // The versions written by hand above (up to 41, and just past them by the forgetting) stand for
    // earlier events; in a deployment every version is an event id, so later events have higher
    // ids. Whatever ran before in this database, the outbox's next ids are past them, as they would be.
    await app.get(PrismaService).$executeRawUnsafe(
      `SELECT setval(pg_get_serial_sequence('outbox_events', 'id'), GREATEST(1000, (SELECT COALESCE(MAX(id), 0) FROM outbox_events) + 1), false)`,
    );

    await app.get(FeatureDocumentSync).requestResync();
    expect(await handlePendingSearchEvents(app, processor, 'resync-features')).toBeGreaterThanOrEqual(1);
    expect(await handlePendingSearchEvents(app, processor, `${type}.`)).toBeGreaterThanOrEqual(items.size);

    expect((await ids('zeppelin or harbour or completed')).sort()).toEqual([3, 4, 6, 7]);
  });
});
