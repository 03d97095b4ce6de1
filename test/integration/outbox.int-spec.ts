import type { TestingModule } from '@nestjs/testing';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { QUEUES } from '@/infra/queue/queues';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ArticlesService } from '@/modules/articles/articles.service';
import { CommentsModule } from '@/modules/comments/comments.module';
import { CommentsService } from '@/modules/comments/comments.service';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { UsersModule } from '@/modules/users/users.module';
import { UsersService } from '@/modules/users/users.service';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { Rows, UserRow } from './factories';
import { integrationModule, outboxMark } from './harness';

type Table = 'articles' | 'users' | 'comments' | 'follows' | 'favorites';

interface WrittenEvent {
  queue: string;
  name: string;
  payload: Record<string, unknown>;
  availableAt: Date;
  /** The transaction that inserted the row. */
  xmin: string;
}

/**
 * Side effects are outbox rows committed with the change that causes them. That they share its
 * transaction is read from PostgreSQL itself: `xmin`, the id of the transaction that wrote a row
 * version, is the same for the changed row and for its events.
 */
describe('the outbox, written in the transaction of each change', () => {
  let moduleRef: TestingModule;
  let rows: Rows;
  let prisma: PrismaService;
  let author: UserRow;

  beforeAll(async () => {
    moduleRef = await integrationModule([UsersModule, ProfilesModule, ArticlesModule, CommentsModule]);
    await resetDatabase(moduleRef);
    rows = new Rows(moduleRef);
    prisma = moduleRef.get(PrismaService);
    author = await rows.user({ username: unique('author') });
  });

  afterAll(() => moduleRef.close());

  async function eventsSince(mark: bigint): Promise<WrittenEvent[]> {
    return prisma.$queryRaw<WrittenEvent[]>`
      SELECT queue, name, payload, available_at AS "availableAt", xmin::text AS xmin FROM outbox_events WHERE id > ${mark} ORDER BY id`;
  }

  /** The transaction that wrote the current version of a row (`where` is a trusted test literal). */
  async function writerOf(table: Table, where: string): Promise<string> {
    const [row] = await prisma.$queryRawUnsafe<Array<{ xmin: string }>>(`SELECT xmin::text AS xmin FROM ${table} WHERE ${where}`);
    if (!row) throw new Error(`no row in ${table} where ${where}`);
    return row.xmin;
  }

  it('commits an event with the transaction it was added in, and drops it with one that rolls back', async () => {
    const outbox = moduleRef.get(OutboxService);
    const transaction = moduleRef.get(TransactionRunner);
    const mark = await outboxMark(moduleRef);
    const later = new Date(Date.now() + 60_000);

    await expect(
      transaction.run(async (db) => {
        await outbox.add(db, { queue: QUEUES.mail, name: 'welcome', payload: { userId: -1 } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await transaction.run((db) => outbox.add(db, { queue: QUEUES.scheduled, name: 'publish-article', payload: { articleId: -2 }, availableAt: later }));

    const events = await eventsSince(mark);
    expect(events).toEqual([expect.objectContaining({ queue: 'scheduled', name: 'publish-article', payload: expect.objectContaining({ articleId: -2 }) })]);
    expect(events[0].availableAt).toEqual(later);
  });

  it("registers a user with the welcome mail in the user's transaction", async () => {
    const mark = await outboxMark(moduleRef);
    const username = unique('newcomer');

    const { user } = await moduleRef.get(UsersService).register({ username, email: `${username}@example.test`, password: 'a long enough password' });

    const { id } = await prisma.user.findUniqueOrThrow({ where: { username: user.username }, select: { id: true } });
    const xmin = await writerOf('users', `id = ${id}`);
    expect(await eventsSince(mark)).toEqual([expect.objectContaining({ queue: 'mail', name: 'welcome', payload: expect.objectContaining({ userId: id }), xmin })]);
  });

  it("publishes an article with its followers' mail and its search document in one transaction", async () => {
    const mark = await outboxMark(moduleRef);

    const { article } = await moduleRef.get(ArticlesService).create(rows.viewer(author), { title: `Published ${unique('t')}`, description: 'd', body: 'b', tagList: ['news'] });

    const { id, searchVersion } = await prisma.article.findUniqueOrThrow({ where: { slug: article.slug }, select: { id: true, searchVersion: true } });
    const xmin = await writerOf('articles', `id = ${id}`);
    const events = await eventsSince(mark);
    for (const event of events) expect(event.xmin).toBe(xmin);
    expect(events.filter((event) => event.queue === 'mail')).toEqual([expect.objectContaining({ name: 'new-article', payload: expect.objectContaining({ articleId: id }) })]);
    // The insert, then its tags (they change the tags text), each give the document a version: the last one is the article's.
    const indexed = events.filter((event) => event.queue === 'search');
    expect(indexed.map((event) => [event.name, event.payload.articleId])).toEqual(indexed.map(() => ['index-article', id]));
    expect(indexed.at(-1)?.payload.version).toBe(Number(searchVersion));
  });

  it('schedules an article with an event due at its time, and mails nobody yet', async () => {
    const mark = await outboxMark(moduleRef);
    const publishAt = new Date(Date.now() + 7 * 86_400_000);
    publishAt.setMilliseconds(0);

    const { article } = await moduleRef.get(ArticlesService).create(rows.viewer(author), { title: `Later ${unique('t')}`, description: 'd', body: 'b', publishAt: publishAt.toISOString() });

    const { id } = await prisma.article.findUniqueOrThrow({ where: { slug: article.slug }, select: { id: true } });
    const xmin = await writerOf('articles', `id = ${id}`);
    const events = await eventsSince(mark);
    expect(events.map((event) => [event.queue, event.name])).toEqual(expect.arrayContaining([['scheduled', 'publish-article']]));
    expect(events.map((event) => event.name)).not.toContain('new-article');
    const publication = events.find((event) => event.name === 'publish-article')!;
    expect(publication).toMatchObject({ payload: expect.objectContaining({ articleId: id }), xmin });
    expect(publication.availableAt).toEqual(publishAt);
    for (const event of events) expect(event.xmin).toBe(xmin);
  });

  it('mails a new follower once, in the transaction of the follow', async () => {
    const fan = await rows.user({ username: unique('fan') });
    const mark = await outboxMark(moduleRef);

    await moduleRef.get(ProfilesService).follow(rows.viewer(fan), author.username);
    await moduleRef.get(ProfilesService).follow(rows.viewer(fan), author.username);

    const xmin = await writerOf('follows', `follower_id = ${fan.id} AND followed_id = ${author.id}`);
    expect(await eventsSince(mark)).toEqual([
      expect.objectContaining({ queue: 'mail', name: 'new-follower', payload: expect.objectContaining({ followerId: fan.id, followedId: author.id }), xmin }),
    ]);
  });

  it('mails a new comment in the transaction of the comment', async () => {
    const article = await rows.article(author);
    const reader = await rows.user();
    const mark = await outboxMark(moduleRef);

    const { comment } = await moduleRef.get(CommentsService).create(rows.viewer(reader), article.slug, 'Nice one');

    const xmin = await writerOf('comments', `id = ${comment.id}`);
    expect(await eventsSince(mark)).toEqual([expect.objectContaining({ queue: 'mail', name: 'new-comment', payload: expect.objectContaining({ commentId: comment.id }), xmin })]);
  });

  it('re-indexes an article in the transaction of a favorite, and deletes its document with it', async () => {
    const article = await rows.article(author);
    const fan = await rows.user();
    const articles = moduleRef.get(ArticlesService);
    const mark = await outboxMark(moduleRef);

    await articles.favorite(rows.viewer(fan), article.slug);
    const favorited = await eventsSince(mark);
    const xmin = await writerOf('favorites', `user_id = ${fan.id} AND article_id = ${article.id}`);
    expect(favorited).toEqual([expect.objectContaining({ queue: 'search', name: 'index-article', payload: expect.objectContaining({ articleId: article.id }), xmin })]);

    await articles.delete(rows.viewer(author), article.slug);
    const deleted = (await eventsSince(mark)).slice(1);
    expect(deleted).toEqual([expect.objectContaining({ queue: 'search', name: 'delete-article', payload: expect.objectContaining({ articleId: article.id }) })]);
    // The deletion's version is above the favorite's, so a late index event cannot bring the document back.
    expect(Number(deleted[0].payload.version)).toBeGreaterThan(Number(favorited[0].payload.version));
  });

  it('counts pending and handed-over events, completes each once, and purges only old completed ones', async () => {
    const outbox = moduleRef.get(OutboxService);
    await prisma.outboxEvent.deleteMany({});
    const transaction = moduleRef.get(TransactionRunner);
    await transaction.run((db) =>
      outbox.add(db, ...[1, 2, 3].map((userId) => ({ queue: QUEUES.mail, name: 'welcome', payload: { userId } }))),
    );
    const [first, second, third] = await prisma.outboxEvent.findMany({ orderBy: { id: 'asc' } });
    await prisma.outboxEvent.update({ where: { id: second.id }, data: { dispatchedAt: new Date(), dispatches: 2 } });

    expect(await outbox.status()).toEqual({ pending: 3, inFlight: 1, redispatched: 1, oldestPendingAt: first.createdAt });

    await outbox.complete(first.id.toString());
    const completedAt = (await prisma.outboxEvent.findUniqueOrThrow({ where: { id: first.id } })).completedAt;
    await outbox.complete(first.id.toString());
    expect((await prisma.outboxEvent.findUniqueOrThrow({ where: { id: first.id } })).completedAt).toEqual(completedAt);
    expect(await outbox.status()).toMatchObject({ pending: 2, inFlight: 1 });

    await prisma.outboxEvent.update({ where: { id: first.id }, data: { completedAt: new Date(Date.now() - 8 * 86_400_000) } });
    await outbox.complete(third.id.toString());
    expect(await outbox.purgeCompleted(7)).toBe(1);
    expect((await prisma.outboxEvent.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((event) => event.id)).toEqual([second.id, third.id]);
  });
});
