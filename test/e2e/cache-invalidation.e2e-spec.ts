import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { slugify } from '@/modules/articles/slug';
import { createTestApp, resetDatabase } from '../helpers/app';
import {
  addComment,
  api,
  ArticleBody,
  auth,
  CommentBody,
  createArticle,
  db,
  favorite,
  follow,
  registerUser,
  TestUser,
  unique,
} from '../helpers/factories';

/**
 * The response cache's contract (each feature's `<feature>.cache-tags.ts`): after any write returns, every
 * cached response it can change shows the new state, to anonymous and signed-in readers alike.
 *
 * Each test warms the cache first: it reads each route twice and checks that the second read ran
 * no SQL at all (so it came from the cache), then writes through the API, then reads again as
 * an anonymous reader and as two signed-in readers.
 */

jest.setTimeout(30_000);

type Reader = TestUser | undefined;

interface ArticleList {
  articles: ArticleBody[];
  articlesCount: number;
}

describe('Response cache: every write invalidates every cached answer it changes', () => {
  let app: NestExpressApplication;
  let querySpy: jest.SpyInstance;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    // Every SQL statement of the application goes through a pg client (the Prisma adapter's pool).
    querySpy = jest.spyOn(
      pg.Client.prototype as unknown as {
        query: (...args: unknown[]) => unknown;
      },
      'query',
    );
    app = await createTestApp();
  });

  afterAll(async () => {
    querySpy.mockRestore();
    await app.close();
  });

  beforeEach(async () => {
    await resetDatabase(app);
    [alice, bob, carol] = await Promise.all([
      registerUser(app, { username: unique('alice') }),
      registerUser(app, { username: unique('bob') }),
      registerUser(app, { username: unique('carol') }),
    ]);
  });

  /** Anonymous, then two signed-in readers who did not make the write (unless a test says so). */
  function everyone(): Reader[] {
    return [undefined, bob, carol];
  }

  function who(reader: Reader): string {
    return reader ? reader.username : 'anonymous';
  }

  function get(path: string, reader?: Reader): request.Test {
    const call = api(app).get(path);
    return reader ? call.set('Authorization', auth(reader.token)) : call;
  }

  async function read<T>(path: string, reader?: Reader): Promise<T> {
    const response = await get(path, reader);
    if (response.status !== 200) throw new Error(`GET ${path} as ${who(reader)} answered ${response.status}: ${response.text}`);
    return response.body as T;
  }

  function sqlCount(): number {
    return querySpy.mock.calls.length;
  }

  /**
   * Reads each path twice anonymously and proves the second answer came from the cache: the
   * same body, and not one SQL statement to build it. Then reads it as each signed-in reader
   * too (their flags are laid over the cached entry).
   */
  async function warm(...paths: string[]): Promise<void> {
    for (const path of paths) {
      const first = await read(path);
      const before = sqlCount();
      const second = await read(path);
      expect({ path, sqlStatements: sqlCount() - before }).toEqual({
        path,
        sqlStatements: 0,
      });
      expect(second).toEqual(first);
      for (const reader of [bob, carol]) await read(path, reader);
    }
  }

  async function expectStatus(path: string, status: number, readers: Reader[] = everyone()): Promise<void> {
    for (const reader of readers) {
      const response = await get(path, reader);
      expect({ path, reader: who(reader), status: response.status }).toEqual({
        path,
        reader: who(reader),
        status,
      });
    }
  }

  function slugsOf(list: ArticleList): string[] {
    return list.articles.map((article) => article.slug);
  }

  function articleUrl(slug: string): string {
    return `/api/articles/${encodeURIComponent(slug)}`;
  }

  function commentsUrl(slug: string): string {
    return `/api/articles/${encodeURIComponent(slug)}/comments`;
  }

  function profileUrl(username: string): string {
    return `/api/profiles/${encodeURIComponent(username)}`;
  }

  function listUrl(query: Record<string, string | number> = {}): string {
    const search = new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)])).toString();
    return search ? `/api/articles?${search}` : '/api/articles';
  }

  async function updateArticle(author: TestUser, slug: string, changes: Record<string, unknown>): Promise<ArticleBody> {
    const response = await api(app).put(articleUrl(slug)).set('Authorization', auth(author.token)).send({ article: changes });
    expect(response.status).toBe(200);
    return response.body.article as ArticleBody;
  }

  async function updateUser(user: TestUser, changes: Record<string, unknown>): Promise<void> {
    const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: changes });
    expect(response.status).toBe(200);
  }

  describe('create article', () => {
    it('shows the new article in every cached list and filter, at its slug, and its tags in /api/tags', async () => {
      const older = await createArticle(app, alice, { tagList: ['shared'] });
      const tag = unique('fresh');
      const title = `Brand new ${unique('title')}`;
      const slug = slugify(title);
      const lists = [listUrl(), listUrl({ author: alice.username }), listUrl({ tag: 'shared' }), listUrl({ tag }), listUrl({ limit: 1 })];
      await warm(...lists, '/api/tags');
      await expectStatus(articleUrl(slug), 404);

      await createArticle(app, alice, { title, tagList: [tag, 'shared'] });

      for (const reader of everyone()) {
        const all = await read<ArticleList>(listUrl(), reader);
        expect(slugsOf(all)).toEqual([slug, older.slug]);
        expect(all.articlesCount).toBe(2);
        expect(slugsOf(await read<ArticleList>(listUrl({ author: alice.username }), reader))).toEqual([slug, older.slug]);
        expect(slugsOf(await read<ArticleList>(listUrl({ tag: 'shared' }), reader))).toEqual([slug, older.slug]);
        expect(await read<ArticleList>(listUrl({ tag }), reader)).toMatchObject({ articlesCount: 1, articles: [{ slug, title }] });
        expect(await read<ArticleList>(listUrl({ limit: 1 }), reader)).toMatchObject({ articlesCount: 2, articles: [{ slug }] });
        expect(await read<{ tags: string[] }>('/api/tags', reader)).toEqual({
          tags: ['shared', tag],
        });
        expect(await read(articleUrl(slug), reader)).toMatchObject({
          article: { slug, title, author: { username: alice.username } },
        });
      }
    });
  });

  describe('update article', () => {
    it('shows a new description, body and tag list in the article, every list, both tag filters and /api/tags', async () => {
      const [oldTag, newTag] = [unique('old'), unique('new')];
      const article = await createArticle(app, alice, { tagList: [oldTag] });
      const lists = [listUrl(), listUrl({ author: alice.username }), listUrl({ tag: oldTag }), listUrl({ tag: newTag })];
      await warm(articleUrl(article.slug), ...lists, '/api/tags');

      await updateArticle(alice, article.slug, {
        description: 'Rewritten description',
        body: 'Rewritten body',
        tagList: [newTag],
      });

      for (const reader of everyone()) {
        expect(await read(articleUrl(article.slug), reader)).toMatchObject({
          article: {
            slug: article.slug,
            description: 'Rewritten description',
            body: 'Rewritten body',
            tagList: [newTag],
          },
        });
        for (const list of [listUrl(), listUrl({ author: alice.username }), listUrl({ tag: newTag })]) {
          expect(await read<ArticleList>(list, reader)).toMatchObject({
            articlesCount: 1,
            articles: [
              {
                slug: article.slug,
                description: 'Rewritten description',
                tagList: [newTag],
              },
            ],
          });
        }
        expect(await read(listUrl({ tag: oldTag }), reader)).toEqual({
          articles: [],
          articlesCount: 0,
        });
        expect(await read('/api/tags', reader)).toEqual({ tags: [newTag] });
      }
    });

    it('a new title moves the article: the old slug answers 404 (article and comments), the new one serves both', async () => {
      const article = await createArticle(app, alice, {
        title: `Before ${unique('t')}`,
      });
      const comment = await addComment(app, bob, article.slug, 'Still here after the rename');
      const newTitle = `After ${unique('t')}`;
      const newSlug = slugify(newTitle);
      await warm(articleUrl(article.slug), commentsUrl(article.slug), listUrl(), listUrl({ author: alice.username }));
      await expectStatus(articleUrl(newSlug), 404);
      await expectStatus(commentsUrl(newSlug), 404);

      const updated = await updateArticle(alice, article.slug, {
        title: newTitle,
      });
      expect(updated.slug).toBe(newSlug);

      await expectStatus(articleUrl(article.slug), 404);
      await expectStatus(commentsUrl(article.slug), 404);
      for (const reader of everyone()) {
        expect(await read(articleUrl(newSlug), reader)).toMatchObject({
          article: { slug: newSlug, title: newTitle, body: article.body },
        });
        expect(await read(commentsUrl(newSlug), reader)).toMatchObject({
          comments: [{ id: comment.id, body: 'Still here after the rename' }],
        });
        for (const list of [listUrl(), listUrl({ author: alice.username })]) {
          expect(await read<ArticleList>(list, reader)).toMatchObject({
            articlesCount: 1,
            articles: [{ slug: newSlug, title: newTitle }],
          });
        }
      }
    });
  });

  describe('delete article', () => {
    it('answers 404 for the article and its comments, and drops it from every list, filter, count and /api/tags', async () => {
      const kept = await createArticle(app, alice, { tagList: ['kept'] });
      const tag = unique('doomed');
      const doomed = await createArticle(app, alice, {
        tagList: [tag, 'kept'],
      });
      await addComment(app, bob, doomed.slug);
      await favorite(app, bob, doomed.slug);
      const lists = [
        listUrl(),
        listUrl({ author: alice.username }),
        listUrl({ tag }),
        listUrl({ tag: 'kept' }),
        listUrl({ favorited: bob.username }),
      ];
      await warm(articleUrl(doomed.slug), commentsUrl(doomed.slug), ...lists, '/api/tags');

      const response = await api(app).delete(articleUrl(doomed.slug)).set('Authorization', auth(alice.token));
      expect(response.status).toBe(204);

      await expectStatus(articleUrl(doomed.slug), 404);
      await expectStatus(commentsUrl(doomed.slug), 404);
      for (const reader of everyone()) {
        for (const list of [listUrl(), listUrl({ author: alice.username }), listUrl({ tag: 'kept' })]) {
          const answer = await read<ArticleList>(list, reader);
          expect({
            list,
            slugs: slugsOf(answer),
            count: answer.articlesCount,
          }).toEqual({ list, slugs: [kept.slug], count: 1 });
        }
        expect(await read(listUrl({ tag }), reader)).toEqual({
          articles: [],
          articlesCount: 0,
        });
        expect(await read(listUrl({ favorited: bob.username }), reader)).toEqual({ articles: [], articlesCount: 0 });
        expect(await read('/api/tags', reader)).toEqual({ tags: ['kept'] });
      }
    });

    it('an article created again with the same title inherits neither the old cached article nor its comments', async () => {
      const title = `Phoenix ${unique('t')}`;
      const first = await createArticle(app, alice, {
        title,
        body: 'The first body',
      });
      await addComment(app, bob, first.slug, 'A comment on the first one');
      await favorite(app, carol, first.slug);
      await warm(articleUrl(first.slug), commentsUrl(first.slug));

      await api(app).delete(articleUrl(first.slug)).set('Authorization', auth(alice.token)).expect(204);
      await expectStatus(articleUrl(first.slug), 404);
      const second = await createArticle(app, bob, {
        title,
        body: 'The second body',
      });
      expect(second.slug).toBe(first.slug);

      for (const reader of everyone()) {
        expect(await read(articleUrl(second.slug), reader)).toMatchObject({
          article: {
            body: 'The second body',
            favoritesCount: 0,
            favorited: false,
            author: { username: bob.username },
          },
        });
        expect(await read(commentsUrl(second.slug), reader)).toEqual({
          comments: [],
        });
      }
    });
  });

  describe('favorite and unfavorite', () => {
    it('favorite: the count rises for everyone, `favorited` is true only for the one who favorited, ?favorited= gains it', async () => {
      const article = await createArticle(app, alice);
      const lists = [listUrl(), listUrl({ author: alice.username }), listUrl({ favorited: bob.username })];
      await warm(articleUrl(article.slug), ...lists);

      await favorite(app, bob, article.slug);

      for (const reader of everyone()) {
        const favorited = reader === bob;
        expect(await read(articleUrl(article.slug), reader)).toMatchObject({
          article: { favoritesCount: 1, favorited },
        });
        for (const list of lists) {
          const answer = await read<ArticleList>(list, reader);
          expect({ list, reader: who(reader), answer }).toMatchObject({
            list,
            reader: who(reader),
            answer: {
              articlesCount: 1,
              articles: [{ slug: article.slug, favoritesCount: 1, favorited }],
            },
          });
        }
      }
    });

    it('unfavorite: the count falls for everyone, `favorited` turns false, ?favorited= loses it', async () => {
      const article = await createArticle(app, alice);
      await favorite(app, bob, article.slug);
      await favorite(app, carol, article.slug);
      const lists = [listUrl(), listUrl({ favorited: bob.username }), listUrl({ favorited: carol.username })];
      await warm(articleUrl(article.slug), ...lists);

      const response = await api(app)
        .delete(`${articleUrl(article.slug)}/favorite`)
        .set('Authorization', auth(bob.token));
      expect(response.status).toBe(200);

      for (const reader of everyone()) {
        const favorited = reader === carol;
        expect(await read(articleUrl(article.slug), reader)).toMatchObject({
          article: { favoritesCount: 1, favorited },
        });
        expect(await read(listUrl(), reader)).toMatchObject({
          articles: [{ slug: article.slug, favoritesCount: 1, favorited }],
        });
        expect(await read(listUrl({ favorited: bob.username }), reader)).toEqual({ articles: [], articlesCount: 0 });
        expect(await read(listUrl({ favorited: carol.username }), reader)).toMatchObject({
          articlesCount: 1,
          articles: [{ slug: article.slug, favoritesCount: 1, favorited }],
        });
      }
    });
  });

  describe('comments', () => {
    it('a new comment appears at once, newest first, for every reader', async () => {
      const article = await createArticle(app, alice);
      const older = await addComment(app, carol, article.slug, 'The older comment');
      await warm(commentsUrl(article.slug));

      const newer = await addComment(app, bob, article.slug, 'The newer comment');

      for (const reader of everyone()) {
        const { comments } = await read<{ comments: CommentBody[] }>(commentsUrl(article.slug), reader);
        expect(comments.map((comment) => [comment.id, comment.body, comment.author.username])).toEqual([
          [newer.id, 'The newer comment', bob.username],
          [older.id, 'The older comment', carol.username],
        ]);
      }
    });

    it('a deleted comment disappears at once for every reader, and the others stay', async () => {
      const article = await createArticle(app, alice);
      const kept = await addComment(app, carol, article.slug, 'Kept');
      const doomed = await addComment(app, bob, article.slug, 'Deleted soon');
      await warm(commentsUrl(article.slug), articleUrl(article.slug));

      const response = await api(app)
        .delete(`${commentsUrl(article.slug)}/${doomed.id}`)
        .set('Authorization', auth(bob.token));
      expect(response.status).toBe(204);

      for (const reader of everyone()) {
        const { comments } = await read<{ comments: CommentBody[] }>(commentsUrl(article.slug), reader);
        expect(comments.map((comment) => comment.id)).toEqual([kept.id]);
        expect(await read(articleUrl(article.slug), reader)).toMatchObject({
          article: { slug: article.slug },
        });
      }
    });
  });

  describe('follow and unfollow', () => {
    /** Every cached answer that shows alice: her profile, her article, lists of it, her comment. */
    async function aliceEverywhere(): Promise<{
      slug: string;
      paths: string[];
    }> {
      const article = await createArticle(app, alice);
      await addComment(app, alice, article.slug, 'Author reply');
      return {
        slug: article.slug,
        paths: [
          profileUrl(alice.username),
          articleUrl(article.slug),
          listUrl(),
          listUrl({ author: alice.username }),
          commentsUrl(article.slug),
        ],
      };
    }

    async function followingSeenBy(reader: Reader, slug: string): Promise<boolean[]> {
      const profile = await read<{ profile: { following: boolean } }>(profileUrl(alice.username), reader);
      const article = await read<{ article: ArticleBody }>(articleUrl(slug), reader);
      const all = await read<ArticleList>(listUrl(), reader);
      const byAuthor = await read<ArticleList>(listUrl({ author: alice.username }), reader);
      const comments = await read<{ comments: CommentBody[] }>(commentsUrl(slug), reader);
      return [
        profile.profile.following,
        article.article.author.following,
        all.articles[0].author.following,
        byAuthor.articles[0].author.following,
        comments.comments[0].author.following,
      ];
    }

    it('follow: the follower sees `following` true on the cached profile, article, lists and comments; nobody else does', async () => {
      const { slug, paths } = await aliceEverywhere();
      await warm(...paths);
      expect(await followingSeenBy(bob, slug)).toEqual([false, false, false, false, false]);

      await follow(app, bob, alice.username);

      expect(await followingSeenBy(bob, slug)).toEqual([true, true, true, true, true]);
      expect(await followingSeenBy(carol, slug)).toEqual([false, false, false, false, false]);
      expect(await followingSeenBy(undefined, slug)).toEqual([false, false, false, false, false]);
    });

    it('unfollow: `following` turns false for the one who unfollowed; another follower still sees true', async () => {
      const { slug, paths } = await aliceEverywhere();
      await follow(app, bob, alice.username);
      await follow(app, carol, alice.username);
      await warm(...paths);
      expect(await followingSeenBy(bob, slug)).toEqual([true, true, true, true, true]);

      const response = await api(app)
        .delete(`${profileUrl(alice.username)}/follow`)
        .set('Authorization', auth(bob.token));
      expect(response.status).toBe(200);

      expect(await followingSeenBy(bob, slug)).toEqual([false, false, false, false, false]);
      expect(await followingSeenBy(carol, slug)).toEqual([true, true, true, true, true]);
      expect(await followingSeenBy(undefined, slug)).toEqual([false, false, false, false, false]);
    });
  });

  describe('update user', () => {
    it('a new username: old profile 404, new profile 200, articles, lists, filters and comments show the new name', async () => {
      const oldName = alice.username;
      const newName = unique('alicia');
      const own = await createArticle(app, alice);
      const bobs = await createArticle(app, bob);
      await addComment(app, alice, bobs.slug, 'Signed by alice');
      await favorite(app, alice, bobs.slug);
      await follow(app, bob, oldName);
      const paths = [
        profileUrl(oldName),
        articleUrl(own.slug),
        commentsUrl(bobs.slug),
        listUrl(),
        listUrl({ author: oldName }),
        listUrl({ author: newName }),
        listUrl({ favorited: oldName }),
        listUrl({ favorited: newName }),
      ];
      await warm(...paths);
      await expectStatus(profileUrl(newName), 404);

      await updateUser(alice, { username: newName });

      await expectStatus(profileUrl(oldName), 404);
      for (const reader of everyone()) {
        const following = reader === bob;
        expect(await read(profileUrl(newName), reader)).toEqual({
          profile: { username: newName, bio: null, image: null, following },
        });
        expect(await read(articleUrl(own.slug), reader)).toMatchObject({
          article: { author: { username: newName, following } },
        });
        expect(await read(commentsUrl(bobs.slug), reader)).toMatchObject({
          comments: [
            {
              body: 'Signed by alice',
              author: { username: newName, following },
            },
          ],
        });
        const all = await read<ArticleList>(listUrl(), reader);
        expect(all.articles.find((article) => article.slug === own.slug)?.author).toEqual({
          username: newName,
          bio: null,
          image: null,
          following,
        });
        expect(await read(listUrl({ author: oldName }), reader)).toEqual({
          articles: [],
          articlesCount: 0,
        });
        expect(await read(listUrl({ author: newName }), reader)).toMatchObject({
          articlesCount: 1,
          articles: [{ slug: own.slug }],
        });
        expect(await read(listUrl({ favorited: oldName }), reader)).toEqual({
          articles: [],
          articlesCount: 0,
        });
        expect(await read(listUrl({ favorited: newName }), reader)).toMatchObject({ articlesCount: 1, articles: [{ slug: bobs.slug }] });
      }
    });

    it('a new bio and image, then both cleared with null: profile, article, lists and comments follow each change', async () => {
      const article = await createArticle(app, alice);
      await addComment(app, alice, article.slug, 'By the author');
      const paths = [
        profileUrl(alice.username),
        articleUrl(article.slug),
        listUrl(),
        listUrl({ author: alice.username }),
        commentsUrl(article.slug),
      ];

      async function expectShownEverywhere(bio: string | null, image: string | null): Promise<void> {
        const shown = {
          username: alice.username,
          bio,
          image,
          following: false,
        };
        for (const reader of everyone()) {
          expect(await read(profileUrl(alice.username), reader)).toEqual({
            profile: shown,
          });
          expect(await read(articleUrl(article.slug), reader)).toMatchObject({
            article: { author: shown },
          });
          expect(await read(listUrl(), reader)).toMatchObject({
            articles: [{ author: shown }],
          });
          expect(await read(listUrl({ author: alice.username }), reader)).toMatchObject({ articles: [{ author: shown }] });
          expect(await read(commentsUrl(article.slug), reader)).toMatchObject({
            comments: [{ author: shown }],
          });
        }
      }

      await warm(...paths);
      await expectShownEverywhere(null, null);

      await updateUser(alice, {
        bio: 'I write things',
        image: 'https://example.test/alice.png',
      });
      await expectShownEverywhere('I write things', 'https://example.test/alice.png');

      await warm(...paths);
      await updateUser(alice, { bio: null, image: null });
      await expectShownEverywhere(null, null);

      await warm(...paths);
      await updateUser(alice, { image: 'https://example.test/only-image.png' });
      await expectShownEverywhere(null, 'https://example.test/only-image.png');
    });
  });

  describe("a signed-in viewer's flags", () => {
    /** The SQL statements `reader` causes by reading `path` once. */
    async function statementsOf(path: string, reader: Reader): Promise<number> {
      const before = sqlCount();
      await read(path, reader);
      return sqlCount() - before;
    }

    it('are cached beside the shared entry: a signed-in hit runs no SQL, and one viewer\'s follow leaves the others\' flags cached', async () => {
      const article = await createArticle(app, alice);
      await addComment(app, alice, article.slug, 'Author reply');
      const paths = [articleUrl(article.slug), listUrl(), commentsUrl(article.slug), profileUrl(alice.username)];
      await warm(...paths);
      for (const path of paths) {
        for (const reader of [bob, carol]) expect({ path, reader: who(reader), statements: await statementsOf(path, reader) }).toEqual({ path, reader: who(reader), statements: 0 });
      }

      await follow(app, bob, alice.username);

      for (const path of paths) {
        // bob's flags are read again (his follows changed); carol's and the shared entries are not.
        expect({ path, statements: await statementsOf(path, carol) }).toEqual({ path, statements: 0 });
        expect({ path, statements: await statementsOf(path, undefined) }).toEqual({ path, statements: 0 });
        expect({ path, bobRefetched: (await statementsOf(path, bob)) > 0 }).toEqual({ path, bobRefetched: true });
      }
      expect(await read(articleUrl(article.slug), bob)).toMatchObject({ article: { author: { following: true } } });
      expect(await read(articleUrl(article.slug), carol)).toMatchObject({ article: { author: { following: false } } });
    });
  });

  describe('the feed (cached per viewer)', () => {
    const feedUrl = '/api/articles/feed';

    async function feedOf(reader: TestUser): Promise<ArticleList> {
      return read<ArticleList>(feedUrl, reader);
    }

    /** Reads bob's feed twice; the second read is a hit: nothing touches PostgreSQL (the sign-in check finds the token's version in Redis). */
    async function warmFeed(): Promise<void> {
      const first = await feedOf(bob);
      const before = sqlCount();
      expect(await feedOf(bob)).toEqual(first);
      expect(sqlCount() - before).toBe(0);
    }

    it('shows a followed author\'s new article, and not an unfollowed one\'s', async () => {
      await follow(app, bob, alice.username);
      const older = await createArticle(app, alice);
      await warmFeed();

      const newer = await createArticle(app, alice);
      await createArticle(app, carol); // not followed: never in bob's feed
      expect(slugsOf(await feedOf(bob))).toEqual([newer.slug, older.slug]);
      expect((await feedOf(bob)).articlesCount).toBe(2);
    });

    it('follow adds the author\'s articles at once; unfollow removes them', async () => {
      await follow(app, bob, alice.username);
      const byAlice = await createArticle(app, alice);
      const byCarol = await createArticle(app, carol);
      await warmFeed();
      expect(slugsOf(await feedOf(bob))).toEqual([byAlice.slug]);

      await follow(app, bob, carol.username);
      expect(slugsOf(await feedOf(bob))).toEqual([byCarol.slug, byAlice.slug]);
      expect((await feedOf(bob)).articles.every((article) => article.author.following)).toBe(true);

      await warmFeed();
      const response = await api(app).delete(`${profileUrl(alice.username)}/follow`).set('Authorization', auth(bob.token));
      expect(response.status).toBe(200);
      expect(await feedOf(bob)).toMatchObject({ articlesCount: 1, articles: [{ slug: byCarol.slug }] });
    });

    it('shows favorites (the viewer\'s own flag and anyone\'s count), edits, author changes and deletions at once', async () => {
      await follow(app, bob, alice.username);
      const article = await createArticle(app, alice);
      const doomed = await createArticle(app, alice);
      await warmFeed();

      await favorite(app, bob, article.slug);
      expect((await feedOf(bob)).articles.find((each) => each.slug === article.slug)).toMatchObject({ favorited: true, favoritesCount: 1 });

      await warmFeed();
      await favorite(app, carol, article.slug);
      expect((await feedOf(bob)).articles.find((each) => each.slug === article.slug)).toMatchObject({ favorited: true, favoritesCount: 2 });

      await warmFeed();
      await updateArticle(alice, article.slug, { description: 'Edited for the feed' });
      expect((await feedOf(bob)).articles.find((each) => each.slug === article.slug)).toMatchObject({ description: 'Edited for the feed' });

      await warmFeed();
      await updateUser(alice, { bio: 'New bio', image: 'https://example.test/feed.png' });
      for (const each of (await feedOf(bob)).articles) expect(each.author).toMatchObject({ bio: 'New bio', image: 'https://example.test/feed.png', following: true });

      await warmFeed();
      const deleted = await api(app).delete(articleUrl(doomed.slug)).set('Authorization', auth(alice.token));
      expect(deleted.status).toBe(204);
      expect(await feedOf(bob)).toMatchObject({ articlesCount: 1, articles: [{ slug: article.slug }] });
    });

    it('is each viewer\'s own: another viewer\'s follows and favorites never show in it', async () => {
      await follow(app, bob, alice.username);
      const article = await createArticle(app, alice);
      await createArticle(app, carol);
      await warmFeed();

      await follow(app, carol, alice.username);
      await favorite(app, carol, article.slug);
      await follow(app, alice, carol.username);

      expect(await feedOf(bob)).toMatchObject({ articlesCount: 1, articles: [{ slug: article.slug, favorited: false, favoritesCount: 1 }] });
      expect(await feedOf(carol)).toMatchObject({ articlesCount: 1, articles: [{ slug: article.slug, favorited: true, favoritesCount: 1 }] });
    });
  });

  describe('one cached entry serves every reader', () => {
    it('two signed-in viewers reading the same cached entry each see their own `favorited` and `following`', async () => {
      const article = await createArticle(app, alice);
      await addComment(app, alice, article.slug, 'Comment by the author');
      await favorite(app, bob, article.slug);
      await follow(app, bob, alice.username);
      const paths = [articleUrl(article.slug), listUrl(), commentsUrl(article.slug), profileUrl(alice.username)];
      await warm(...paths);

      // Change the rows behind the API's back (no invalidation): an answer that still shows the old
      // text can only have come from the cached entry, so the flags below were laid over that entry.
      await db(app).article.update({
        where: { slug: article.slug },
        data: { body: 'Changed behind the cache', description: 'Changed too' },
      });
      await db(app).comment.updateMany({
        where: { authorId: alice.id },
        data: { body: 'Changed behind the cache' },
      });
      await db(app).user.update({
        where: { id: alice.id },
        data: { bio: 'Changed behind the cache' },
      });

      const seen = async (reader: Reader) => ({
        article: (await read<{ article: ArticleBody & { body: string } }>(articleUrl(article.slug), reader)).article,
        listed: (await read<ArticleList>(listUrl(), reader)).articles[0],
        comment: (await read<{ comments: CommentBody[] }>(commentsUrl(article.slug), reader)).comments[0],
        profile: (await read<{ profile: { bio: string | null; following: boolean } }>(profileUrl(alice.username), reader)).profile,
      });
      for (const [reader, mine] of [
        [bob, true],
        [carol, false],
        [undefined, false],
      ] as Array<[Reader, boolean]>) {
        const answer = await seen(reader);
        expect({ reader: who(reader), answer }).toMatchObject({
          reader: who(reader),
          answer: {
            article: {
              body: article.body,
              favorited: mine,
              favoritesCount: 1,
              author: { bio: null, following: mine },
            },
            listed: {
              description: article.description,
              favorited: mine,
              favoritesCount: 1,
              author: { following: mine },
            },
            comment: {
              body: 'Comment by the author',
              author: { following: mine },
            },
            profile: { bio: null, following: mine },
          },
        });
      }

      // The first write through the API retires the entries: everyone sees the database again.
      await updateUser(alice, { image: 'https://example.test/new.png' });
      for (const reader of everyone()) {
        const answer = await seen(reader);
        expect(answer.article.body).toBe('Changed behind the cache');
        expect(answer.listed.description).toBe('Changed too');
        expect(answer.comment.body).toBe('Changed behind the cache');
        expect(answer.profile.bio).toBe('Changed behind the cache');
        expect(answer.article.favorited).toBe(reader === bob);
      }
    });
  });
});
