import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, ArticleBody, auth, createArticle, db, registerUser, TestUser, unique } from '../helpers/factories';
import { expectErrorShape, expectMatchesSpec, HttpMethod } from '../helpers/openapi';
import {
  claimsFor,
  expiredToken,
  jwtSecret,
  sign,
  unsignedToken,
  withTamperedClaims,
  withTamperedSignature,
} from '../helpers/tokens';

/** Bodies, headers and tokens a careless or malicious client sends. None may produce a 500. */
describe('Hostile input', () => {
  let app: NestExpressApplication;
  let user: TestUser;
  let other: TestUser;
  let article: ArticleBody;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [user, other] = [await registerUser(app), await registerUser(app)];
    article = await createArticle(app, user, { tagList: ['hostile'] });
  });

  afterAll(async () => {
    await app.close();
  });

  interface Route {
    method: HttpMethod;
    /** The spec's path template. */
    template: string;
    path: () => string;
    authenticated: boolean;
  }

  const bodyRoutes: Route[] = [
    { method: 'POST', template: '/users', path: () => '/api/users', authenticated: false },
    { method: 'POST', template: '/users/login', path: () => '/api/users/login', authenticated: false },
    { method: 'PUT', template: '/user', path: () => '/api/user', authenticated: true },
    { method: 'POST', template: '/articles', path: () => '/api/articles', authenticated: true },
    { method: 'PUT', template: '/articles/{slug}', path: () => `/api/articles/${article.slug}`, authenticated: true },
    { method: 'POST', template: '/articles/{slug}/comments', path: () => `/api/articles/${article.slug}/comments`, authenticated: true },
  ];

  function send(route: Route, body: string | object, contentType = 'application/json'): Promise<Response> {
    const path = route.path();
    let test = route.method === 'POST' ? api(app).post(path) : api(app).put(path);
    if (route.authenticated) test = test.set('Authorization', auth(user.token));
    return test.set('Content-Type', contentType).send(body);
  }

  describe('malformed JSON', () => {
    const malformed = [
      ['a truncated document', '{"user": {'],
      ['a trailing comma', '{"article": {"title": "t",}}'],
      ['single quotes', "{'user': {'email': 'a@b.test'}}"],
      ['a bare word', 'undefined'],
      ['a JSON string at the top level', '"just a string"'],
      ['a JSON number at the top level', '42'],
      ['JSON null at the top level', 'null'],
    ];

    it.each(bodyRoutes.flatMap((route) => malformed.map(([name, body]) => [`${route.method} ${route.template}`, name, route, body] as const)))(
      '%s answers 422 (or 400) in the error shape for %s, never 500',
      async (_route, _name, route, body) => {
        const response = await send(route, body);

        expect([400, 422]).toContain(response.status);
        if (response.status === 422) expectMatchesSpec(response, route.method, route.template);
        else expectErrorShape(response, 400);
      },
    );

    it('answers 422 {"body":["is not valid JSON"]} and creates nothing', async () => {
      const before = await db(app).user.count();
      const response = await api(app).post('/api/users').set('Content-Type', 'application/json').send('{"user": {"username": "x"');

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({ errors: { body: ['is not valid JSON'] } });
      expect(await db(app).user.count()).toBe(before);
    });

    it('treats a body that is not declared as JSON as missing (422), not as an error of the server', async () => {
      const input = { user: { username: unique('plain'), email: `${unique('plain')}@example.test`, password: 'password' } };
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await api(app).post('/api/users').set('Content-Type', contentType).send(JSON.stringify(input));
        expect(response.status).toBe(422);
        expectMatchesSpec(response, 'POST', '/users');
        expect(response.body).toEqual({ errors: { user: ["can't be blank"] } });
      }
      expect(await db(app).user.count({ where: { username: input.user.username } })).toBe(0);
    });

    it('answers an empty JSON body with 422 keyed by the missing envelope', async () => {
      const response = await api(app).post('/api/users').set('Content-Type', 'application/json').send('');

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({ errors: { user: ["can't be blank"] } });
    });

    it('refuses an unsupported charset in the error shape (415), never 500', async () => {
      const response = await api(app)
        .post('/api/users')
        .set('Content-Type', 'application/json; charset=latin1')
        .send('{"user":{"username":"x","email":"x@example.test","password":"p"}}');

      expectErrorShape(response, 415);
    });
  });

  describe('oversized bodies', () => {
    it.each(bodyRoutes.map((route) => [`${route.method} ${route.template}`, route] as const))(
      '%s answers 413 {"body":["is too large"]} to a 2 MB body',
      async (_name, route) => {
        const response = await send(route, { article: { title: 'big', description: 'big', body: 'x'.repeat(2_000_000) } });

        expectErrorShape(response, 413);
        expect(response.body).toEqual({ errors: { body: ['is too large'] } });
      },
    );

    it('stores nothing from a refused oversized article', async () => {
      const title = `Too big ${unique('')}`;
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(user.token))
        .send({ article: { title, description: 'd', body: 'x'.repeat(2_000_000) } });

      expect(response.status).toBe(413);
      expect(await db(app).article.count({ where: { title } })).toBe(0);
    });

    it.each([
      ['a title over 200 characters', { title: 't'.repeat(201), description: 'd', body: 'b' }, 'title'],
      ['a description over 1,000 characters', { title: 'Long description', description: 'd'.repeat(1001), body: 'b' }, 'description'],
      ['a body over 100,000 characters', { title: 'Long body', description: 'd', body: 'b'.repeat(100_001) }, 'body'],
      ['more than 20 tags', { title: 'Many tags', description: 'd', body: 'b', tagList: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tagList'],
      ['a tag over 40 characters', { title: 'Long tag', description: 'd', body: 'b', tagList: ['x'.repeat(41)] }, 'tagList'],
    ])('answers 422 keyed by the field for %s (within the body limit)', async (_case, input, key) => {
      const response = await api(app).post('/api/articles').set('Authorization', auth(user.token)).send({ article: input });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });

    it('answers 422 to a password over 256 characters (hashing cost is bounded)', async () => {
      const response = await api(app)
        .post('/api/users')
        .send({ user: { username: unique('longpw'), email: `${unique('longpw')}@example.test`, password: 'p'.repeat(257) } });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(Object.keys(response.body.errors)).toEqual(['password']);
    });
  });

  describe('wrong types', () => {
    it.each([
      ['a top-level array', []],
      ['a top-level array holding the envelope', [{ user: { username: 'x', email: 'x@example.test', password: 'p' } }]],
      ['an envelope that is an array', { user: [] }],
      ['an envelope that is a number', { user: 7 }],
      ['an envelope that is null', { user: null }],
    ])('POST /api/users answers 422 keyed "user" for %s', async (_case, body) => {
      const response = await api(app).post('/api/users').send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(Object.keys(response.body.errors)).toEqual(['user']);
    });

    it.each([
      ['an operator object as the title', { title: { $gt: '' }, description: 'd', body: 'b' }, 'title'],
      ['a boolean description', { title: 'T', description: true, body: 'b' }, 'description'],
      ['an array body', { title: 'T', description: 'd', body: ['b'] }, 'body'],
      ['nested arrays as tags', { title: 'T', description: 'd', body: 'b', tagList: [['nested']] }, 'tagList'],
      ['an object as tagList', { title: 'T', description: 'd', body: 'b', tagList: { 0: 'a' } }, 'tagList'],
    ])('POST /api/articles answers 422 keyed by the field for %s', async (_case, input, key) => {
      const response = await api(app).post('/api/articles').set('Authorization', auth(user.token)).send({ article: input });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });

    it('POST /api/users/login answers 422 for credentials that are not strings', async () => {
      const response = await api(app).post('/api/users/login').send({ user: { email: ['a@example.test'], password: { $ne: '' } } });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(Object.keys(response.body.errors).sort()).toEqual(['email', 'password']);
    });

    it('answers filters that look like SQL with an empty list, not an error', async () => {
      const response = await api(app).get('/api/articles').query({ author: "' OR 1=1 --", tag: "x'; DROP TABLE articles; --" });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body).toEqual({ articles: [], articlesCount: 0 });
      expect(await db(app).article.count()).toBeGreaterThan(0);
    });

    it.each([
      ['an article title', 'POST', '/articles', (): string => '/api/articles', { article: { title: 'nul\u0000title', description: 'd', body: 'b' } }, 'title'],
      ['an article body', 'POST', '/articles', (): string => '/api/articles', { article: { title: `Nul ${unique('')}`, description: 'd', body: 'b\u0000' } }, 'body'],
      ['a tag', 'POST', '/articles', (): string => '/api/articles', { article: { title: `Nul tag ${unique('')}`, description: 'd', body: 'b', tagList: ['a\u0000'] } }, 'tagList'],
      ['a bio', 'PUT', '/user', (): string => '/api/user', { user: { bio: 'a\u0000b' } }, 'bio'],
      ['a comment', 'POST', '/articles/{slug}/comments', (): string => `/api/articles/${article.slug}/comments`, { comment: { body: 'a\u0000b' } }, 'body'],
    ] as const)('answers 422 keyed by the field for a NUL character in %s, never 500', async (_case, method, template, path, body, key) => {
      const test = method === 'POST' ? api(app).post(path()) : api(app).put(path());
      const response = await test.set('Authorization', auth(user.token)).send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, method, template);
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });
  });

  describe('prototype pollution', () => {
    it('ignores __proto__ and constructor keys, and pollutes nothing', async () => {
      const username = unique('proto');
      const raw =
        `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},` +
        `"user":{"username":"${username}","email":"${username}@example.test","password":"password",` +
        `"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}}}}`;

      const response = await api(app).post('/api/users').set('Content-Type', 'application/json').send(raw);

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body.user).toEqual({ username, email: `${username}@example.test`, bio: null, image: null, token: expect.any(String) });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  });

  describe('mass assignment', () => {
    it('POST /api/users ignores ids, hashes, timestamps and profile fields it does not take', async () => {
      const username = unique('mass');
      const response = await api(app)
        .post('/api/users')
        .send({
          id: 424242,
          user: {
            username,
            email: `${username}@example.test`,
            password: 'the-real-password',
            id: 424242,
            passwordHash: 'plain-text',
            password_hash: 'plain-text',
            createdAt: '2000-01-01T00:00:00.000Z',
            token: 'chosen-token',
            bio: 'injected bio',
            image: 'https://evil.example/x.png',
          },
        });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body.user).toMatchObject({ username, bio: null, image: null });
      expect(response.body.user.token).not.toBe('chosen-token');
      const row = await db(app).user.findUniqueOrThrow({ where: { username } });
      expect(row.id).not.toBe(424242);
      expect(row.passwordHash).toMatch(/^\$argon2id\$/);
      expect(row.createdAt.getFullYear()).toBeGreaterThan(2000);
      expect(row.bio).toBeNull();
      const login = await api(app).post('/api/users/login').send({ user: { email: `${username}@example.test`, password: 'the-real-password' } });
      expect(login.status).toBe(200);
    });

    it('PUT /api/user changes only the fields it takes, never the id, hash or another user', async () => {
      const target = await registerUser(app);
      const victim = await registerUser(app);
      const response = await api(app)
        .put('/api/user')
        .set('Authorization', auth(target.token))
        .send({ user: { bio: 'new bio', id: victim.id, passwordHash: 'plain-text', createdAt: '2000-01-01T00:00:00.000Z', token: 'x' } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body.user).toMatchObject({ username: target.username, bio: 'new bio', token: target.token });
      const targetRow = await db(app).user.findUniqueOrThrow({ where: { id: target.id } });
      expect(targetRow.passwordHash).toMatch(/^\$argon2id\$/);
      expect(targetRow.createdAt.getFullYear()).toBeGreaterThan(2000);
      const victimRow = await db(app).user.findUniqueOrThrow({ where: { id: victim.id } });
      expect(victimRow).toMatchObject({ username: victim.username, bio: null });
      const login = await api(app).post('/api/users/login').send({ user: { email: target.email, password: target.password } });
      expect(login.status).toBe(200);
    });

    it('POST /api/articles ignores slug, author, counts and timestamps sent by the client', async () => {
      const title = `Mass assignment ${unique('')}`;
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(user.token))
        .send({
          article: {
            title,
            description: 'd',
            body: 'b',
            id: 1,
            slug: 'chosen-slug',
            authorId: other.id,
            author: { username: other.username },
            favoritesCount: 1000,
            favorited: true,
            createdAt: '2000-01-01T00:00:00.000Z',
            updatedAt: '2000-01-01T00:00:00.000Z',
          },
        });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      const created = response.body.article;
      expect(created).toMatchObject({ title, favorited: false, favoritesCount: 0, author: { username: user.username } });
      expect(created.slug).not.toBe('chosen-slug');
      expect(Date.parse(created.createdAt)).toBeGreaterThan(Date.parse('2020-01-01'));
      const row = await db(app).article.findUniqueOrThrow({ where: { slug: created.slug } });
      expect(row).toMatchObject({ authorId: user.id, favoritesCount: 0 });
      expect(row.id).not.toBe(1);
      expect(await db(app).article.count({ where: { slug: 'chosen-slug' } })).toBe(0);
    });

    it('PUT /api/articles/{slug} never changes the author, counts, slug or creation time on request', async () => {
      const target = await createArticle(app, user);
      const response = await api(app)
        .put(`/api/articles/${target.slug}`)
        .set('Authorization', auth(user.token))
        .send({
          article: {
            body: 'edited',
            authorId: other.id,
            author: { username: other.username },
            favoritesCount: 50,
            slug: 'stolen-slug',
            createdAt: '2000-01-01T00:00:00.000Z',
          },
        });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body.article).toMatchObject({ slug: target.slug, body: 'edited', favoritesCount: 0, createdAt: target.createdAt, author: { username: user.username } });
      const row = await db(app).article.findUniqueOrThrow({ where: { slug: target.slug } });
      expect(row).toMatchObject({ authorId: user.id, favoritesCount: 0, body: 'edited' });
    });

    it('POST /api/articles/{slug}/comments ignores the id, author and article sent by the client', async () => {
      const elsewhere = await createArticle(app, other);
      const existing = await addComment(app, other, elsewhere.slug);
      const response = await api(app)
        .post(`/api/articles/${article.slug}/comments`)
        .set('Authorization', auth(user.token))
        .send({ comment: { body: 'mine', id: existing.id, authorId: other.id, articleId: 999_999, author: { username: other.username } } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body.comment.id).not.toBe(existing.id);
      expect(response.body.comment.author.username).toBe(user.username);
      const row = await db(app).comment.findUniqueOrThrow({ where: { id: response.body.comment.id }, include: { article: true } });
      expect(row.authorId).toBe(user.id);
      expect(row.article.slug).toBe(article.slug);
      expect(await db(app).comment.findUniqueOrThrow({ where: { id: existing.id } })).toMatchObject({ body: existing.body, authorId: other.id });
    });
  });

  describe('forged and broken tokens', () => {
    const forgeries: Array<[string, (app: NestExpressApplication, victim: TestUser) => string]> = [
      ['an unsigned token (alg: none)', (_app, victim) => unsignedToken(claimsFor(victim.id))],
      ['an alg: none token carrying the real signature', (a, victim) => {
        const genuine = sign(claimsFor(victim.id), jwtSecret(a));
        return `${unsignedToken(claimsFor(victim.id)).slice(0, -1)}.${genuine.split('.')[2]}`;
      }],
      ['a token signed with another key', (_app, victim) => sign(claimsFor(victim.id), 'some-other-secret-some-other-secret-0000')],
      ['an expired token', (a, victim) => expiredToken(victim.id, jwtSecret(a))],
      ['a token not valid yet (nbf in the future)', (a, victim) => sign(claimsFor(victim.id, { nbf: Math.floor(Date.now() / 1000) + 3600 }), jwtSecret(a))],
      ['a token whose claims were changed to another user', (a, victim) => withTamperedClaims(sign(claimsFor(victim.id), jwtSecret(a)), claimsFor(victim.id + 1))],
      ['a token with a tampered signature', (a, victim) => withTamperedSignature(sign(claimsFor(victim.id), jwtSecret(a)))],
      ['a token signed with HS512 (not the allowed algorithm)', (a, victim) => sign(claimsFor(victim.id), jwtSecret(a), 'HS512')],
      ['a token whose subject is not a user id', (a) => sign(claimsFor('admin'), jwtSecret(a))],
      ['a token without a subject', (a) => sign({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 }, jwtSecret(a))],
      ['a token with four segments', (a, victim) => `${sign(claimsFor(victim.id), jwtSecret(a))}.extra`],
      ['a token that is not base64', () => 'Zm9v.!!!.???'],
    ];

    /** Required (`/user`, `/articles/feed`) and optional (`/articles`, `/profiles/{username}`) auth, all GET. */
    const protectedRoutes: Array<['GET', string, () => string]> = [
      ['GET', '/user', () => '/api/user'],
      ['GET', '/articles', () => '/api/articles'],
      ['GET', '/profiles/{username}', () => `/api/profiles/${other.username}`],
      ['GET', '/articles/feed', () => '/api/articles/feed'],
    ];

    function call(path: string, token: string): Promise<Response> {
      return api(app).get(path).set('Authorization', auth(token));
    }

    it('accepts a hand-made token signed with the application key (the control for the forgeries below)', async () => {
      const token = sign(claimsFor(user.id), jwtSecret(app));
      for (const [method, template, path] of protectedRoutes) {
        const response = await call(path(), token);
        expect(response.status).toBe(200);
        expectMatchesSpec(response, method, template);
      }
      const me = await call('/api/user', token);
      expect(me.body.user.username).toBe(user.username);
    });

    it.each(forgeries)('refuses %s with 401 {"token":["is invalid"]} on required and optional routes', async (_name, forge) => {
      const token = forge(app, user);
      for (const [method, template, path] of protectedRoutes) {
        const response = await call(path(), token);
        expect(response.status).toBe(401);
        expectMatchesSpec(response, method, template);
        expect(response.body).toEqual({ errors: { token: ['is invalid'] } });
      }
    });

    it('refuses a forged token on a write, and writes nothing', async () => {
      const before = await db(app).article.count();
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(unsignedToken(claimsFor(user.id))))
        .send({ article: { title: `Forged ${unique('')}`, description: 'd', body: 'b' } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body).toEqual({ errors: { token: ['is invalid'] } });
      expect(await db(app).article.count()).toBe(before);
    });
  });

  describe('CORS', () => {
    const preflights: Array<[string, string]> = [
      ['/api/users', 'POST'],
      ['/api/users/login', 'POST'],
      ['/api/user', 'PUT'],
      ['/api/profiles/someone', 'GET'],
      ['/api/profiles/someone/follow', 'DELETE'],
      ['/api/articles', 'POST'],
      ['/api/articles/feed', 'GET'],
      ['/api/articles/some-slug', 'PUT'],
      ['/api/articles/some-slug', 'DELETE'],
      ['/api/articles/some-slug/favorite', 'POST'],
      ['/api/articles/some-slug/comments', 'POST'],
      ['/api/articles/some-slug/comments/1', 'DELETE'],
      ['/api/tags', 'GET'],
    ];

    it.each(preflights)('answers the preflight of %s for %s, allowing authorization and content-type', async (path, method) => {
      const response = await api(app)
        .options(path)
        .set('Origin', 'https://conduit.example')
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', 'authorization,content-type');

      expect([200, 204]).toContain(response.status);
      expect(['https://conduit.example', '*']).toContain(response.headers['access-control-allow-origin']);
      const methods = String(response.headers['access-control-allow-methods']).split(',').map((value) => value.trim().toUpperCase());
      expect(methods).toContain(method);
      const headers = String(response.headers['access-control-allow-headers']).split(',').map((value) => value.trim().toLowerCase());
      expect(headers).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    });

    it('sends Access-Control-Allow-Origin on an actual cross-origin request', async () => {
      const response = await api(app).get('/api/tags').set('Origin', 'https://conduit.example');

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/tags');
      expect(['https://conduit.example', '*']).toContain(response.headers['access-control-allow-origin']);
    });
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/api/nothing-here'],
      ['POST', '/api/articles/some-slug/comments/1'],
      ['PUT', '/api/tags'],
    ])('%s %s answers 404 in the error shape', async (method, path) => {
      const response = await api(app)[method.toLowerCase() as 'get' | 'post' | 'put'](path);

      expectErrorShape(response, 404);
    });
  });
});

describe('Hostile input: NUL characters in the path', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it.each(['/api/profiles/a%00b', '/api/articles/a%00b', '/api/articles/a%00b/comments'])('answers 404 in the error shape for %s, never 500', async (path) => {
    const response = await api(app).get(path);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ errors: { resource: ['not found'] } });
  });
});
