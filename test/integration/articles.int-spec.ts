import type { TestingModule } from '@nestjs/testing';
import type { Viewer } from '@/common/auth/viewer';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ArticlesViewerOverlay } from '@/modules/articles/articles-viewer.overlay';
import { ArticleNotFound, NotArticleAuthor, TitleTaken } from '@/modules/articles/articles.errors';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ArticlesService } from '@/modules/articles/articles.service';
import type { ArticleListItemDto } from '@/modules/articles/dto/article-response.dto';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { ArticleRow, Rows, UserRow } from './factories';
import { integrationModule, outboxMark, outboxSince } from './harness';

const ALL = { limit: 100, offset: 0 };

function slugs(list: { articles: ArticleListItemDto[] }): string[] {
  return list.articles.map((article) => article.slug);
}

/** Newest first, as every list orders them. */
function newestFirst(articles: ArticleRow[]): string[] {
  return [...articles].reverse().map((article) => article.slug);
}

describe('ArticlesService on PostgreSQL', () => {
  let moduleRef: TestingModule;
  let rows: Rows;
  let articles: ArticlesService;
  let prisma: PrismaService;

  beforeAll(async () => {
    moduleRef = await integrationModule([ArticlesModule]);
    rows = new Rows(moduleRef);
    articles = moduleRef.get(ArticlesService);
    prisma = moduleRef.get(PrismaService);
  });

  afterAll(() => moduleRef.close());

  describe('lists', () => {
    let alice: UserRow;
    let bob: UserRow;
    let carol: UserRow;
    let reader: UserRow;
    let viewer: Viewer;
    /** Every article, oldest first, in creation order. */
    const published: ArticleRow[] = [];
    let aliceArticles: ArticleRow[];
    let bobArticles: ArticleRow[];
    let carolArticle: ArticleRow;
    let readerArticle: ArticleRow;
    let scheduled: ArticleRow;

    beforeAll(async () => {
      await resetDatabase(moduleRef);
      [alice, bob, carol, reader] = await Promise.all(['alice', 'bob', 'carol', 'reader'].map((name) => rows.user({ username: unique(name) })));
      viewer = rows.viewer(reader);
      aliceArticles = await rows.articles(alice, 3, (index) => ({ tags: ['dragons', `alice-${index}`] }));
      bobArticles = await rows.articles(bob, 2, () => ({ tags: ['dragons', 'training'] }));
      carolArticle = await rows.article(carol, { tags: ['cats'] });
      readerArticle = await rows.article(reader, { tags: ['dragons'] });
      scheduled = await rows.article(alice, { tags: ['dragons', 'unreleased'], publishedAt: null });
      published.push(...aliceArticles, ...bobArticles, carolArticle, readerArticle);
      await rows.follow(reader, alice, bob);
      await rows.favorite(reader, bobArticles[0], carolArticle);
      await rows.favorite(alice, bobArticles[0]);
    });

    it('lists every published article, newest first, without bodies, counting them all', async () => {
      const list = await articles.list({}, ALL);

      expect(slugs(list)).toEqual(newestFirst(published));
      expect(list.articlesCount).toBe(published.length);
      expect(slugs(list)).not.toContain(scheduled.slug);
      for (const article of list.articles) expect(article).not.toHaveProperty('body');
      expect(list.articles.find((article) => article.slug === bobArticles[0].slug)).toMatchObject({ favoritesCount: 2, tagList: ['dragons', 'training'] });
    });

    it('filters by tag, by author and by favoriting user, alone and together', async () => {
      const dragons = [...aliceArticles, ...bobArticles, readerArticle];
      expect(slugs(await articles.list({ tag: 'dragons' }, ALL))).toEqual(newestFirst(dragons));
      expect(slugs(await articles.list({ author: alice.username }, ALL))).toEqual(newestFirst(aliceArticles));
      expect(slugs(await articles.list({ favorited: reader.username }, ALL))).toEqual(newestFirst([bobArticles[0], carolArticle]));
      expect(slugs(await articles.list({ tag: 'dragons', favorited: reader.username }, ALL))).toEqual([bobArticles[0].slug]);
      expect(slugs(await articles.list({ tag: 'training', author: alice.username }, ALL))).toEqual([]);
      // A scheduled article is in no list, even filtered by its own author and tag.
      expect(await articles.list({ tag: 'unreleased' }, ALL)).toEqual({ articles: [], articlesCount: 0 });
    });

    it('answers an empty list for a tag, author or favoriting user that does not exist', async () => {
      for (const filter of [{ tag: 'no-such-tag' }, { author: 'nobody-here' }, { favorited: 'nobody-here' }, { tag: 'dragons', author: 'nobody-here' }]) {
        expect(await articles.list(filter, ALL)).toEqual({ articles: [], articlesCount: 0 });
      }
      expect(await articles.list({ favorited: carol.username }, ALL)).toEqual({ articles: [], articlesCount: 0 });
    });

    it('pages through a list in order, counting the whole list on every page', async () => {
      const pages = await Promise.all([0, 2, 4, 6].map((offset) => articles.list({}, { limit: 2, offset })));

      expect(pages.flatMap(slugs)).toEqual(newestFirst(published));
      expect(pages.map((page) => page.articles.length)).toEqual([2, 2, 2, 1]);
      for (const page of pages) expect(page.articlesCount).toBe(published.length);
      expect(await articles.list({ tag: 'dragons' }, { limit: 10, offset: 50 })).toEqual({ articles: [], articlesCount: 6 });
    });

    it("feeds the viewer the published articles of the authors they follow, not their own, counted", async () => {
      // Following oneself cannot be done through the API, but the feed must hold without that rule too.
      await rows.follow(reader, reader);
      const feed = await articles.feed(viewer, ALL);
      await prisma.follow.delete({ where: { followerId_followedId: { followerId: reader.id, followedId: reader.id } } });

      expect(slugs(feed)).toEqual(newestFirst([...aliceArticles, ...bobArticles]));
      expect(feed.articlesCount).toBe(5);
      for (const article of feed.articles) expect(article.author.following).toBe(true);
      expect(await articles.feed(rows.viewer(carol), ALL)).toEqual({ articles: [], articlesCount: 0 });
      const page = await articles.feed(viewer, { limit: 2, offset: 4 });
      expect(page).toMatchObject({ articlesCount: 5, articles: [{ slug: aliceArticles[0].slug }] });
    });

    it('gives a viewer the same flags whether the service answers or the overlay lays them over a shared list', async () => {
      const personal = await articles.list({}, ALL, viewer);
      const overlay = moduleRef.get(ArticlesViewerOverlay);
      const shared = await articles.list({}, ALL);
      const laidOver = overlay.apply(shared, await overlay.flags(shared, viewer));

      const flags = (list: { articles: ArticleListItemDto[] }) =>
        list.articles.map((article) => ({ slug: article.slug, favorited: article.favorited, following: article.author.following }));
      expect(flags(laidOver)).toEqual(flags(personal));
      expect(personal.articles.filter((article) => article.favorited).map((article) => article.slug).sort()).toEqual([bobArticles[0].slug, carolArticle.slug].sort());
      expect(new Set(personal.articles.filter((article) => article.author.following).map((article) => article.author.username))).toEqual(new Set([alice.username, bob.username]));
      // Built for nobody, the shared list holds no one's flags.
      for (const article of shared.articles) expect([article.favorited, article.author.following]).toEqual([false, false]);
    });

    it('shows a scheduled article to its author only', async () => {
      const own = await articles.get(scheduled.slug, rows.viewer(alice));

      expect(own.article).toMatchObject({ slug: scheduled.slug, tagList: ['dragons', 'unreleased'] });
      expect(own.article.publishAt).toEqual(expect.any(String));
      await expect(articles.get(scheduled.slug, viewer)).rejects.toBeInstanceOf(ArticleNotFound);
      await expect(articles.get(scheduled.slug)).rejects.toBeInstanceOf(ArticleNotFound);
    });

    it('finds list items by id for lists ranked elsewhere, leaving out what is not published', async () => {
      const items = await articles.listItemsByIds([carolArticle.id, scheduled.id, bobArticles[0].id, 999_999], viewer);

      expect([...items.keys()].sort()).toEqual([carolArticle.id, bobArticles[0].id].sort());
      expect(items.get(bobArticles[0].id)).toMatchObject({ favorited: true, author: { username: bob.username, following: true } });
      expect(items.get(carolArticle.id)).toMatchObject({ favorited: true, author: { username: carol.username, following: false } });
    });
  });

  describe('writes', () => {
    let author: UserRow;
    let other: UserRow;
    let writer: Viewer;

    beforeAll(async () => {
      author = await rows.user({ username: unique('writer') });
      other = await rows.user({ username: unique('other') });
      writer = rows.viewer(author);
    });

    it('creates an article under the slug of its title, with its tags once each, sorted', async () => {
      const title = `How to train ${unique('Dragon')}`;
      const { article } = await articles.create(writer, { title, description: 'Ever wonder how?', body: 'Believe.', tagList: ['zeta', 'alpha', 'zeta'] });

      expect(article).toMatchObject({ title, tagList: ['alpha', 'zeta'], favorited: false, favoritesCount: 0, author: { username: author.username, following: false } });
      expect(article.slug).toBe(title.toLowerCase().replaceAll(' ', '-'));
      const row = await prisma.article.findUniqueOrThrow({ where: { slug: article.slug }, select: { authorId: true, publishedAt: true, tags: { select: { tag: { select: { name: true } } } } } });
      expect(row.authorId).toBe(author.id);
      expect(row.publishedAt).not.toBeNull();
      expect(row.tags.map((link) => link.tag.name).sort()).toEqual(['alpha', 'zeta']);
    });

    it('refuses a title whose slug a visible article holds, and writes nothing', async () => {
      const taken = await rows.article(other, { title: `Taken ${unique('t')}` });
      const [articlesBefore, mark] = await Promise.all([prisma.article.count(), outboxMark(moduleRef)]);

      await expect(articles.create(writer, { title: taken.title, description: 'd', body: 'b' })).rejects.toBeInstanceOf(TitleTaken);

      expect(await prisma.article.count()).toBe(articlesBefore);
      expect(await outboxSince(moduleRef, mark)).toEqual([]);
    });

    it("gives a new article a suffixed slug rather than reveal another author's scheduled one", async () => {
      const hidden = await rows.article(other, { title: `Coming soon ${unique('t')}`, publishedAt: null });

      const { article } = await articles.create(writer, { title: hidden.title, description: 'd', body: 'b' });

      expect(article.slug).toMatch(new RegExp(`^${hidden.slug}-[0-9a-f]{8}$`));
      expect((await articles.get(hidden.slug, rows.viewer(other))).article.title).toBe(hidden.title);
    });

    it('renames an article to a new slug and replaces its tags; a taken title changes nothing', async () => {
      const { article } = await articles.create(writer, { title: `Draft ${unique('t')}`, description: 'd', body: 'b', tagList: ['old'] });
      const renamed = `Final ${unique('t')}`;

      const { article: updated } = await articles.update(writer, article.slug, { title: renamed, tagList: ['new', 'newer'] });

      expect(updated).toMatchObject({ title: renamed, tagList: ['new', 'newer'], description: 'd' });
      expect(updated.slug).not.toBe(article.slug);
      await expect(articles.get(article.slug)).rejects.toBeInstanceOf(ArticleNotFound);
      const taken = await rows.article(other, { title: `Held ${unique('t')}` });
      await expect(articles.update(writer, updated.slug, { title: taken.title })).rejects.toBeInstanceOf(TitleTaken);
      expect((await articles.get(updated.slug)).article.title).toBe(renamed);
      await expect(articles.update(rows.viewer(other), updated.slug, { body: 'mine now' })).rejects.toBeInstanceOf(NotArticleAuthor);
    });

    it('counts a favorite once, however often it is given, without touching updatedAt', async () => {
      const target = await rows.article(other);
      const before = await prisma.article.findUniqueOrThrow({ where: { id: target.id }, select: { updatedAt: true } });

      await articles.favorite(writer, target.slug);
      const twice = await articles.favorite(writer, target.slug);

      expect(twice.article).toMatchObject({ favorited: true, favoritesCount: 1 });
      expect(await prisma.favorite.count({ where: { articleId: target.id } })).toBe(1);
      expect((await articles.list({ favorited: author.username }, ALL)).articles.map((article) => article.slug)).toContain(target.slug);
      const undone = await articles.unfavorite(writer, target.slug);
      expect(undone.article).toMatchObject({ favorited: false, favoritesCount: 0 });
      expect((await articles.unfavorite(writer, target.slug)).article.favoritesCount).toBe(0);
      const after = await prisma.article.findUniqueOrThrow({ where: { id: target.id }, select: { updatedAt: true } });
      expect(after.updatedAt).toEqual(before.updatedAt);
    });

    it("deletes an article with its comments and favorites, and only for its author", async () => {
      const doomed = await rows.article(author);
      await rows.comment(other, doomed);
      await rows.favorite(other, doomed);

      await expect(articles.delete(rows.viewer(other), doomed.slug)).rejects.toBeInstanceOf(NotArticleAuthor);
      await articles.delete(writer, doomed.slug);

      await expect(articles.get(doomed.slug)).rejects.toBeInstanceOf(ArticleNotFound);
      expect(await prisma.comment.count({ where: { articleId: doomed.id } })).toBe(0);
      expect(await prisma.favorite.count({ where: { articleId: doomed.id } })).toBe(0);
    });

    it('publishes a scheduled article once its time has come, and only once', async () => {
      const due = await rows.article(author, { publishedAt: null, publishAt: new Date(Date.now() - 1_000) });
      const later = await rows.article(author, { publishedAt: null, publishAt: new Date(Date.now() + 3_600_000) });

      expect(await articles.publishDue(due.id)).toBe(true);
      expect(await articles.publishDue(due.id)).toBe(false);
      expect(await articles.publishDue(later.id)).toBe(false);

      expect(slugs(await articles.list({ author: author.username }, ALL))).toContain(due.slug);
      expect(slugs(await articles.list({ author: author.username }, ALL))).not.toContain(later.slug);
    });
  });
});
