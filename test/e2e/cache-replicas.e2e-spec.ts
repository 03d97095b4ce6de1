import pg from 'pg';
import request from 'supertest';
import { ApiProcess, startApi, stopAll } from '../helpers/child-processes';
import { ArticleBody, CommentBody, newArticleInput, newUserInput, unique } from '../helpers/factories';

/**
 * Two api replicas (the built application, `node dist/src/main.js`) on two ports, sharing one
 * PostgreSQL and one Redis, as in production behind a load balancer. Both caches are warm; a
 * write through one replica must be seen at once through the other, by anonymous and signed-in
 * readers.
 */

jest.setTimeout(60_000);

interface User {
  username: string;
  token: string;
}

interface ArticleList {
  articles: ArticleBody[];
  articlesCount: number;
}

describe('Response cache across two api replicas', () => {
  let a: ApiProcess;
  let b: ApiProcess;
  let alice: User;
  let bob: User;
  let carol: User;

  beforeAll(async () => {
    [a, b] = await Promise.all([startApi(), startApi()]);
    [alice, bob, carol] = await Promise.all([register(a, 'alice'), register(a, 'bob'), register(a, 'carol')]);
  });

  afterAll(async () => {
    await stopAll();
  });

  async function register(replica: ApiProcess, prefix: string): Promise<User> {
    const response = await request(replica.url)
      .post('/api/users')
      .send({ user: newUserInput({ username: unique(prefix) }) });
    expect(response.status).toBe(201);
    return {
      username: response.body.user.username,
      token: response.body.user.token,
    };
  }

  function call(replica: ApiProcess, method: 'get' | 'post' | 'put' | 'delete', path: string, user?: User): request.Test {
    const test = request(replica.url)[method](path);
    return user ? test.set('Authorization', `Token ${user.token}`) : test;
  }

  async function read<T>(replica: ApiProcess, path: string, user?: User): Promise<T> {
    const response = await call(replica, 'get', path, user);
    if (response.status !== 200)
      throw new Error(`GET ${path} on :${replica.port} as ${user?.username ?? 'anonymous'}: ${response.status} ${response.text}`);
    return response.body as T;
  }

  async function status(replica: ApiProcess, path: string, user?: User): Promise<number> {
    return (await call(replica, 'get', path, user)).status;
  }

  async function write(
    replica: ApiProcess,
    method: 'post' | 'put' | 'delete',
    path: string,
    user: User,
    body?: object,
  ): Promise<request.Response> {
    const response = await call(replica, method, path, user).send(body);
    if (response.status >= 300) throw new Error(`${method.toUpperCase()} ${path} on :${replica.port}: ${response.status} ${response.text}`);
    return response;
  }

  async function createArticle(
    replica: ApiProcess,
    author: User,
    overrides: Partial<{ title: string; tagList: string[] }> = {},
  ): Promise<ArticleBody> {
    return (
      await write(replica, 'post', '/api/articles', author, {
        article: newArticleInput(overrides),
      })
    ).body.article as ArticleBody;
  }

  /** Reads each path on both replicas, anonymously (twice) and as bob and carol. */
  async function warmBoth(...paths: string[]): Promise<void> {
    for (const replica of [a, b]) {
      for (const path of paths) {
        const first = await read(replica, path);
        expect(await read(replica, path)).toEqual(first);
        await read(replica, path, bob);
        await read(replica, path, carol);
      }
    }
  }

  it('B really serves from its cache: a change behind the API is not seen through B until a write through A', async () => {
    const article = await createArticle(a, alice);
    const path = `/api/articles/${article.slug}`;
    await warmBoth(path);

    const client = new pg.Client({
      connectionString: process.env.DATABASE_URL,
    });
    await client.connect();
    try {
      await client.query('UPDATE articles SET body = $1 WHERE slug = $2', ['Changed behind the cache', article.slug]);
    } finally {
      await client.end();
    }
    expect((await read<{ article: { body: string } }>(b, path)).article.body).toBe(article.body);

    await write(a, 'post', `${path}/favorite`, carol);

    const anonymous = await read<{ article: ArticleBody & { body: string } }>(b, path);
    expect(anonymous.article).toMatchObject({
      body: 'Changed behind the cache',
      favoritesCount: 1,
      favorited: false,
    });
    expect((await read<{ article: ArticleBody }>(b, path, carol)).article).toMatchObject({ favoritesCount: 1, favorited: true });
  });

  it('create, update and delete an article through A: B shows each change at once (article, lists, tags, comments)', async () => {
    const writer = await register(a, 'writer');
    const tag = unique('replica');
    const byWriter = `/api/articles?author=${writer.username}`;
    const byTag = `/api/articles?tag=${tag}`;
    const existing = await createArticle(a, writer);
    await warmBoth('/api/articles', byWriter, byTag, '/api/tags');

    const created = await createArticle(a, writer, { tagList: [tag] });
    for (const user of [undefined, bob]) {
      expect((await read<ArticleList>(b, '/api/articles', user)).articles[0].slug).toBe(created.slug);
      expect((await read<ArticleList>(b, byWriter, user)).articles.map((article) => article.slug)).toEqual([created.slug, existing.slug]);
      expect(await read<ArticleList>(b, byTag, user)).toMatchObject({
        articlesCount: 1,
        articles: [{ slug: created.slug }],
      });
      expect((await read<{ tags: string[] }>(b, '/api/tags', user)).tags).toContain(tag);
    }

    const articlePath = `/api/articles/${created.slug}`;
    await write(a, 'post', `${articlePath}/comments`, bob, {
      comment: { body: 'On the first version' },
    });
    await warmBoth(articlePath, `${articlePath}/comments`, byWriter);
    await write(a, 'put', articlePath, writer, {
      article: { body: 'Second version', tagList: [] },
    });
    for (const user of [undefined, carol]) {
      expect(await read(b, articlePath, user)).toMatchObject({
        article: { body: 'Second version', tagList: [] },
      });
      expect((await read<ArticleList>(b, byWriter, user)).articles[0]).toMatchObject({ slug: created.slug, tagList: [] });
      expect(await read(b, byTag, user)).toEqual({
        articles: [],
        articlesCount: 0,
      });
      expect((await read<{ tags: string[] }>(b, '/api/tags', user)).tags).not.toContain(tag);
    }

    const newTitle = `Renamed ${unique('t')}`;
    await warmBoth(articlePath, `${articlePath}/comments`);
    const renamed = (
      await write(a, 'put', articlePath, writer, {
        article: { title: newTitle },
      })
    ).body.article as ArticleBody;
    const renamedPath = `/api/articles/${renamed.slug}`;
    for (const user of [undefined, bob]) {
      expect(await status(b, articlePath, user)).toBe(404);
      expect(await status(b, `${articlePath}/comments`, user)).toBe(404);
      expect(await read(b, renamedPath, user)).toMatchObject({
        article: { title: newTitle },
      });
      expect(await read(b, `${renamedPath}/comments`, user)).toMatchObject({
        comments: [{ body: 'On the first version' }],
      });
    }

    await warmBoth(renamedPath, `${renamedPath}/comments`, byWriter);
    await write(a, 'delete', renamedPath, writer);
    for (const user of [undefined, bob]) {
      expect(await status(b, renamedPath, user)).toBe(404);
      expect(await status(b, `${renamedPath}/comments`, user)).toBe(404);
      expect((await read<ArticleList>(b, byWriter, user)).articles.map((article) => article.slug)).toEqual([existing.slug]);
    }
  });

  it('favorite and unfavorite through A: B shows the count to everyone and `favorited` to the one who did it', async () => {
    const article = await createArticle(a, alice);
    const path = `/api/articles/${article.slug}`;
    const favoritedByBob = `/api/articles?favorited=${bob.username}`;
    await warmBoth(path, favoritedByBob);

    await write(a, 'post', `${path}/favorite`, bob);
    for (const [user, favorited] of [
      [undefined, false],
      [bob, true],
      [carol, false],
    ] as Array<[User | undefined, boolean]>) {
      expect(await read(b, path, user)).toMatchObject({
        article: { favoritesCount: 1, favorited },
      });
      expect(await read(b, favoritedByBob, user)).toMatchObject({
        articlesCount: 1,
        articles: [{ slug: article.slug, favorited }],
      });
    }

    await warmBoth(path, favoritedByBob);
    await write(a, 'delete', `${path}/favorite`, bob);
    for (const user of [undefined, bob, carol]) {
      expect(await read(b, path, user)).toMatchObject({
        article: { favoritesCount: 0, favorited: false },
      });
      expect(await read(b, favoritedByBob, user)).toEqual({
        articles: [],
        articlesCount: 0,
      });
    }
  });

  it('comments added and deleted through one replica are seen at once through the other, both ways', async () => {
    const article = await createArticle(a, alice);
    const path = `/api/articles/${article.slug}/comments`;
    await warmBoth(path);

    const added = (await write(a, 'post', path, bob, { comment: { body: 'Through A' } })).body.comment as CommentBody;
    for (const user of [undefined, carol]) {
      expect(await read(b, path, user)).toMatchObject({
        comments: [{ id: added.id, body: 'Through A' }],
      });
    }

    await warmBoth(path);
    const second = (await write(b, 'post', path, carol, { comment: { body: 'Through B' } })).body.comment as CommentBody;
    for (const user of [undefined, bob]) {
      const { comments } = await read<{ comments: CommentBody[] }>(a, path, user);
      expect(comments.map((comment) => comment.id)).toEqual([second.id, added.id]);
    }

    await warmBoth(path);
    await write(a, 'delete', `${path}/${added.id}`, bob);
    for (const user of [undefined, bob, carol]) {
      const { comments } = await read<{ comments: CommentBody[] }>(b, path, user);
      expect(comments.map((comment) => comment.id)).toEqual([second.id]);
    }
  });

  it('follow and unfollow through A: B shows `following` to the follower on the profile, article, list and comments', async () => {
    const author = await register(a, 'author');
    const article = await createArticle(a, author);
    await write(a, 'post', `/api/articles/${article.slug}/comments`, author, {
      comment: { body: 'Author here' },
    });
    const paths = [
      `/api/profiles/${author.username}`,
      `/api/articles/${article.slug}`,
      `/api/articles?author=${author.username}`,
      `/api/articles/${article.slug}/comments`,
    ];
    const flagsOnB = async (user?: User): Promise<boolean[]> => {
      const profile = await read<{ profile: { following: boolean } }>(b, paths[0], user);
      const single = await read<{ article: ArticleBody }>(b, paths[1], user);
      const list = await read<ArticleList>(b, paths[2], user);
      const comments = await read<{ comments: CommentBody[] }>(b, paths[3], user);
      return [
        profile.profile.following,
        single.article.author.following,
        list.articles[0].author.following,
        comments.comments[0].author.following,
      ];
    };
    await warmBoth(...paths);

    await write(a, 'post', `/api/profiles/${author.username}/follow`, bob);
    expect(await flagsOnB(bob)).toEqual([true, true, true, true]);
    expect(await flagsOnB(carol)).toEqual([false, false, false, false]);
    expect(await flagsOnB()).toEqual([false, false, false, false]);

    await warmBoth(...paths);
    await write(a, 'delete', `/api/profiles/${author.username}/follow`, bob);
    expect(await flagsOnB(bob)).toEqual([false, false, false, false]);
  });

  it('profile changes through A (bio, image, username): B shows them at once, and the old username is gone', async () => {
    const user = await register(a, 'profiled');
    const article = await createArticle(a, user);
    const paths = [`/api/profiles/${user.username}`, `/api/articles/${article.slug}`, `/api/articles?author=${user.username}`];
    await warmBoth(...paths);

    await write(a, 'put', '/api/user', user, {
      user: { bio: 'Fresh bio', image: 'https://example.test/me.png' },
    });
    const shown = {
      username: user.username,
      bio: 'Fresh bio',
      image: 'https://example.test/me.png',
      following: false,
    };
    for (const reader of [undefined, bob]) {
      expect(await read(b, paths[0], reader)).toEqual({ profile: shown });
      expect(await read(b, paths[1], reader)).toMatchObject({
        article: { author: shown },
      });
      expect(await read(b, paths[2], reader)).toMatchObject({
        articles: [{ author: shown }],
      });
    }

    await warmBoth(...paths);
    const newName = unique('renamed');
    await write(a, 'put', '/api/user', user, {
      user: { username: newName, bio: null },
    });
    for (const reader of [undefined, bob]) {
      expect(await status(b, paths[0], reader)).toBe(404);
      expect(await read(b, `/api/profiles/${newName}`, reader)).toMatchObject({
        profile: { username: newName, bio: null },
      });
      expect(await read(b, paths[1], reader)).toMatchObject({
        article: { author: { username: newName, bio: null } },
      });
      expect(await read(b, paths[2], reader)).toEqual({
        articles: [],
        articlesCount: 0,
      });
    }
  });
});
