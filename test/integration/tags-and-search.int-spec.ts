import type { TestingModule } from '@nestjs/testing';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { PostgresSearchEngine } from '@/modules/search/engines/postgres-search.engine';
import { HIGHLIGHT_END, HIGHLIGHT_START } from '@/modules/search/search-text';
import { SearchModule } from '@/modules/search/search.module';
import { ArticleDocuments } from '@/modules/articles/article-documents';
import { SearchService } from '@/modules/search/search.service';
import { TAG_LIST_MAX } from '@/modules/tags/tags.repository';
import { TagsModule } from '@/modules/tags/tags.module';
import { TagsService } from '@/modules/tags/tags.service';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { ArticleRow, Rows, UserRow } from './factories';
import { integrationModule, withPostgresSearch } from './harness';

const DAY_MS = 86_400_000;

describe('tags and PostgreSQL search', () => {
  let moduleRef: TestingModule;
  let rows: Rows;
  let prisma: PrismaService;

  beforeAll(async () => {
    moduleRef = await integrationModule([TagsModule, SearchModule], withPostgresSearch);
    rows = new Rows(moduleRef);
    prisma = moduleRef.get(PrismaService);
  });

  afterAll(() => moduleRef.close());

  describe('tags', () => {
    let tags: TagsService;
    let author: UserRow;

    beforeEach(async () => {
      await resetDatabase(moduleRef);
      tags = moduleRef.get(TagsService);
      author = await rows.user();
    });

    it('lists the tags of published articles, the most used first, then by name', async () => {
      await rows.articles(author, 3, () => ({ tags: ['popular', 'zebra'] }));
      await rows.article(author, { tags: ['popular', 'apple'] });
      await rows.article(author, { tags: ['mango'] });
      await rows.article(author, { tags: ['unreleased', 'popular'], publishedAt: null });
      await rows.tagIds(['orphan']);

      expect(await tags.list()).toEqual({ tags: ['popular', 'zebra', 'apple', 'mango'] });
    });

    it(`lists at most ${TAG_LIST_MAX} tags, the used ones before the rest by name`, async () => {
      const names = Array.from({ length: TAG_LIST_MAX + 20 }, (_, index) => `tag-${String(index).padStart(3, '0')}`);
      await rows.article(author, { tags: names.slice(0, 60) });
      await rows.article(author, { tags: names.slice(60) });
      await rows.articles(author, 2, () => ({ tags: ['tag-119', 'tag-118'] }));

      const { tags: listed } = await tags.list();

      expect(listed).toHaveLength(TAG_LIST_MAX);
      expect(listed.slice(0, 2)).toEqual(['tag-118', 'tag-119']);
      expect(listed.slice(2)).toEqual(names.slice(0, TAG_LIST_MAX - 2));
    });

    it('creates the tags an article names once, and finds the existing ones', async () => {
      const [existing] = await rows.tagIds(['known']);

      const ids = await tags.ensure(['known', 'fresh-one', 'fresh-two'], author.id);
      const again = await tags.ensure(['fresh-two', 'fresh-one', 'known'], author.id);

      expect(ids).toHaveLength(3);
      expect(ids).toContain(existing);
      expect([...again].sort()).toEqual([...ids].sort());
      expect(await prisma.tag.count({ where: { name: { in: ['known', 'fresh-one', 'fresh-two'] } } })).toBe(3);
      expect(await tags.idByName('fresh-one')).toBe((await prisma.tag.findUniqueOrThrow({ where: { name: 'fresh-one' } })).id);
      expect(await tags.idByName('never-made')).toBeUndefined();
    });
  });

  describe("the articles' search documents", () => {
    let repository: ArticleDocuments;

    beforeAll(async () => {
      await resetDatabase(moduleRef);
      repository = moduleRef.get(ArticleDocuments);
    });

    async function version(article: Pick<ArticleRow, 'id'>): Promise<bigint> {
      const [state] = await repository.states([article.id]);
      return state.version;
    }

    it("reads an article's search document with its author and sorted tags; none while it is scheduled", async () => {
      const author = await rows.user({ username: unique('scribe'), image: 'https://img.example/s.png' });
      const article = await rows.article(author, { title: 'Dragons', tags: ['zoo', 'air'] });
      await rows.favorite(await rows.user(), article);
      const scheduled = await rows.article(author, { publishedAt: null });

      const states = await repository.states([article.id, scheduled.id, 999_999]);

      expect(states).toHaveLength(2);
      expect(states.find((state) => state.id === article.id)?.document).toMatchObject({
        id: article.id,
        slug: article.slug,
        title: 'Dragons',
        tags: ['air', 'zoo'],
        author: { id: author.id, username: author.username, image: 'https://img.example/s.png' },
        favoritesCount: 1,
      });
      expect(states.find((state) => state.id === scheduled.id)?.document).toBeNull();
    });

    it('gives every change a search document shows a higher version: content, tags, author', async () => {
      const author = await rows.user();
      const article = await rows.article(author, { tags: ['first'] });
      const seen = [await version(article)];

      await prisma.article.update({ where: { id: article.id }, data: { title: 'Renamed' } });
      seen.push(await version(article));
      await prisma.articleTag.create({ data: { articleId: article.id, tagId: (await rows.tagIds(['second']))[0] } });
      seen.push(await version(article));
      await prisma.user.update({ where: { id: author.id }, data: { username: unique('renamed') } });
      seen.push(await version(article));

      for (let index = 1; index < seen.length; index += 1) expect(seen[index]).toBeGreaterThan(seen[index - 1]);
      expect((await repository.states([article.id]))[0].document?.tags).toEqual(['first', 'second']);
    });

    it('walks every published document and version in id order, and counts them', async () => {
      const documents = [];
      for await (const page of repository.publishedDocuments()) documents.push(...page);
      const versions = [];
      for await (const page of repository.publishedVersions()) versions.push(...page);
      const published = await prisma.article.findMany({ where: { publishedAt: { not: null } }, orderBy: { id: 'asc' }, select: { id: true, searchVersion: true } });

      expect(documents.map((each) => each.document.id)).toEqual(published.map((article) => article.id));
      expect(versions).toEqual(published.map((article) => ({ id: article.id, version: article.searchVersion })));
      expect(await repository.countPublished()).toBe(published.length);
    });

    it('sets right a tags text changed by hand, so that the tags are found again', async () => {
      const article = await rows.article(await rows.user(), { tags: ['quasar'] });
      const engine = moduleRef.get(PostgresSearchEngine);
      await prisma.$executeRaw`UPDATE articles SET tags_text = '' WHERE id = ${article.id}`;
      expect((await engine.searchArticles({ text: 'quasar', limit: 10, offset: 0 })).total).toBe(0);

      expect(await repository.repairTagsText()).toBe(1);

      expect((await engine.searchArticles({ text: 'quasar', limit: 10, offset: 0 })).hits.map((hit) => hit.articleId)).toEqual([article.id]);
      expect(await repository.repairTagsText()).toBe(0);
    });
  });

  describe('the PostgreSQL engine', () => {
    let engine: PostgresSearchEngine;
    let ada: UserRow;
    let bo: UserRow;
    let titled: ArticleRow;
    let described: ArticleRow;
    let inBody: ArticleRow;
    let byBo: ArticleRow;
    let marked: ArticleRow;

    beforeAll(async () => {
      await resetDatabase(moduleRef);
      engine = moduleRef.get(PostgresSearchEngine);
      [ada, bo] = [await rows.user({ username: unique('ada') }), await rows.user({ username: unique('bo') })];
      inBody = await rows.article(ada, { title: 'Notes from the field', description: 'Assorted', body: 'We spent the winter training dragons in the hills.', tags: ['field'] });
      described = await rows.article(ada, { title: 'A winter diary', description: 'Training dragons, one day at a time', body: 'Cold.', tags: ['diary'] });
      titled = await rows.article(ada, { title: 'Training dragons', description: 'A guide', body: 'Patience, then more patience.', tags: ['guide'] });
      byBo = await rows.article(bo, { title: 'Dragon training for beginners', description: 'Start here', body: 'Small steps.', tags: ['guide'] });
      await rows.article(ada, { title: 'Training dragons, unreleased', publishedAt: null });
      await rows.article(bo, { title: 'Cooking', body: 'Nothing about them at all.', tags: ['food'] });
      marked = await rows.article(bo, { title: 'Taming <b>wyverns</b> & co', tags: ['markup'] });
    });

    const search = (text: string, extra: { tag?: string; author?: string; limit?: number; offset?: number; totalMax?: number } = {}) =>
      engine.searchArticles({ text, limit: 10, offset: 0, ...extra });

    it('finds stemmed words in every field of published articles, ranked by the field they are in', async () => {
      const result = await search('dragon trained');

      expect(result.total).toBe(4);
      expect(new Set(result.hits.map((hit) => hit.articleId))).toEqual(new Set([titled.id, described.id, inBody.id, byBo.id]));
      // Weighted by field: title (and tags), then description, then body.
      expect(new Set(result.hits.slice(0, 2).map((hit) => hit.articleId))).toEqual(new Set([titled.id, byBo.id]));
      expect(result.hits.slice(2).map((hit) => hit.articleId)).toEqual([described.id, inBody.id]);
      const scores = result.hits.map((hit) => hit.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('reads phrases, exclusions and alternatives, and filters by tag and author', async () => {
      expect((await search('"dragon training"')).hits.map((hit) => hit.articleId)).toEqual([byBo.id]);
      expect(new Set((await search('dragons -winter')).hits.map((hit) => hit.articleId))).toEqual(new Set([titled.id, byBo.id]));
      expect(new Set((await search('diary or cooking')).hits.map((hit) => hit.articleId)).size).toBe(2);
      expect(new Set((await search('dragons', { tag: 'guide' })).hits.map((hit) => hit.articleId))).toEqual(new Set([titled.id, byBo.id]));
      expect((await search('dragons', { tag: 'guide', author: ada.username })).hits.map((hit) => hit.articleId)).toEqual([titled.id]);
      expect(await search('dragons', { author: 'nobody-by-that-name' })).toEqual({ hits: [], total: 0 });
    });

    it('pages through the ranking, counting the matches up to the cap', async () => {
      const all = (await search('dragons')).hits.map((hit) => hit.articleId);
      const pages = await Promise.all([0, 2].map((offset) => search('dragons', { limit: 2, offset })));

      expect(pages.flatMap((page) => page.hits.map((hit) => hit.articleId))).toEqual(all);
      for (const page of pages) expect(page.total).toBe(4);
      expect((await search('dragons', { totalMax: 2 })).total).toBe(2);
      expect(await search('dragons', { offset: 10 })).toEqual({ hits: [], total: 4 });
    });

    it('marks the matched words of each field, and only those fields', async () => {
      const [hit] = (await search('patience', { tag: 'guide' })).hits;

      expect(hit.articleId).toBe(titled.id);
      expect(hit.highlights.body).toEqual([`${HIGHLIGHT_START}Patience${HIGHLIGHT_END}, then more ${HIGHLIGHT_START}patience${HIGHLIGHT_END}`]);
      expect(hit.highlights.title).toBeUndefined();
      expect((await search('guide')).hits.find((each) => each.articleId === titled.id)?.highlights.tagList).toEqual([`${HIGHLIGHT_START}guide${HIGHLIGHT_END}`]);
    });

    it('serves results as list items with escaped highlights, through the search service', async () => {
      await rows.follow(ada, bo);
      const result = await moduleRef.get(SearchService).searchArticles({ q: 'wyvern' }, rows.viewer(ada));

      expect(result.articlesCount).toBe(1);
      expect(result.articles[0]).toMatchObject({ slug: marked.slug, favorited: false, tagList: ['markup'], author: { username: bo.username, following: true } });
      expect(result.articles[0].highlights.title).toEqual(['Taming &lt;b&gt;<em>wyverns</em>&lt;/b&gt; &amp; co']);
    });

    it('ranks trending tags over the period by articles, then favorites', async () => {
      const author = await rows.user();
      const old = await rows.article(author, { tags: ['retro', 'retro-only'], publishedAt: new Date(Date.now() - 10 * DAY_MS) });
      await rows.article(author, { tags: ['retro'], publishedAt: new Date(Date.now() - 2 * DAY_MS) });
      await rows.favorite(await rows.user(), old, titled);

      const week = await engine.trendingTags(7, 3);

      expect(week).toEqual([
        { tag: 'guide', articlesCount: 2, favoritesCount: 1 },
        { tag: 'diary', articlesCount: 1, favoritesCount: 0 },
        { tag: 'field', articlesCount: 1, favoritesCount: 0 },
      ]);
      expect((await engine.trendingTags(30, 20)).find((tag) => tag.tag === 'retro')).toEqual({ tag: 'retro', articlesCount: 2, favoritesCount: 1 });
      expect((await engine.trendingTags(7, 20)).map((tag) => tag.tag)).not.toContain('retro-only');
    });
  });
});
