import fc from 'fast-check';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, auth, createArticle, registerUser, TestUser, unique } from '../helpers/factories';
import { declaredStatuses, expectErrorShape, expectMatchesSpec, HttpMethod } from '../helpers/openapi';
import { bodyOf, operations, pathParameters, queryOf } from '../helpers/openapi-arbitraries';
import { expiredToken, jwtSecret, sign, claimsFor } from '../helpers/tokens';

/**
 * Properties over the whole contract, with requests drawn from the OpenAPI schemas
 * (test/contract/openapi.yml) by fast-check, against the application in process:
 *
 * - no request, valid or not, gets a 5xx;
 * - every answer is one the spec declares for the operation, with a body valid against its schema
 *   (successes and errors alike), or, for a status the spec leaves out (a documented Conduit
 *   decision), an error in the spec's shape;
 * - every write operation sorts callers the same way: anonymous, forged, expired and malformed
 *   tokens get 401; a user who does not own the resource gets 403 where ownership matters.
 *
 * FC_RUNS (runs per operation, default 120: some 2,300 requests) and FC_SEED (printed at the start)
 * replay a run.
 */

jest.setTimeout(120_000);

const RUNS = Number(process.env.FC_RUNS || 120);
const SEED = Number(process.env.FC_SEED || Math.floor(Math.random() * 2 ** 31));

type Caller = 'owner' | 'other' | 'anonymous' | 'forged' | 'expired' | 'malformed';
const CALLERS: Caller[] = ['owner', 'other', 'anonymous', 'forged', 'expired', 'malformed'];
/** Callers for the properties: mostly real users, so that most requests reach past authentication. */
/**
 * Any text as one path segment, except the dot segments `.` and `..`: URL resolution removes them
 * (even percent-encoded), so the request would go to another path than the operation's.
 */
const anySegment = fc.string({ minLength: 1, unit: 'grapheme', maxLength: 40 }).filter((text) => text !== '.' && text !== '..');

const callerArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Caller>('owner') },
  { weight: 2, arbitrary: fc.constant<Caller>('other') },
  { weight: 1, arbitrary: fc.constantFrom<Caller>('anonymous', 'forged', 'expired', 'malformed') },
);

describe('OpenAPI properties (fast-check)', () => {
  let app: NestExpressApplication;
  let owner: TestUser;
  let other: TestUser;
  let headers: Record<Caller, string | undefined>;
  /** Answers by status, printed at the end: most runs must reach past validation, not only 422s. */
  const tally = new Map<number, number>();

  beforeAll(async () => {
    console.log(`openapi properties: FC_SEED=${SEED} FC_RUNS=${RUNS} (set both to replay this run)`);
    app = await createTestApp();
    await resetDatabase(app);
    [owner, other] = await twoUsers();
    headers = headersFor(owner);
  });

  async function twoUsers(): Promise<[TestUser, TestUser]> {
    return [await registerUser(app, { username: unique('owner') }), await registerUser(app, { username: unique('other') })];
  }

  /** The Authorization header of each kind of caller, `owner` being the subjects' owner. */
  function headersFor(subjectsOwner: TestUser, otherUser = other): Record<Caller, string | undefined> {
    const secret = jwtSecret(app);
    return {
      owner: auth(subjectsOwner.token),
      other: auth(otherUser.token),
      anonymous: undefined,
      forged: auth(sign(claimsFor(subjectsOwner.id), 'not-the-secret-of-this-application-0123456789')),
      expired: auth(expiredToken(subjectsOwner.id, secret)),
      malformed: 'Token not.a.jwt',
    };
  }

  afterAll(async () => {
    const total = [...tally.values()].reduce((sum, count) => sum + count, 0);
    const byStatus = [...tally.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(', ');
    console.log(`openapi properties: ${total} requests (FC_SEED=${SEED} FC_RUNS=${RUNS}); by status ${byStatus}`);
    await app?.close();
  });

  /** A fresh article of `author`, with a comment of theirs: the subjects of the path parameters. */
  async function subjects(author = owner): Promise<{ slug: string; id: string }> {
    const article = await createArticle(app, author);
    const comment = await addComment(app, author, article.slug);
    return { slug: article.slug, id: String(comment.id) };
  }

  async function send(method: HttpMethod, path: string, caller: Caller, query: Record<string, string>, body: unknown): Promise<Response> {
    const response = await request(method, path, caller, query, body);
    tally.set(response.status, (tally.get(response.status) ?? 0) + 1);
    return response;
  }

  function request(method: HttpMethod, path: string, caller: Caller, query: Record<string, string>, body: unknown): Promise<Response> {
    const call = api(app)[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](`/api${path}`).query(query);
    const header = headers[caller];
    if (header) void call.set('Authorization', header);
    return body === undefined ? call : call.set('Content-Type', 'application/json').send(JSON.stringify(body));
  }

  /** The property every answer must have; throws (for fast-check to shrink) when it does not. */
  function expectAllowedBySpec(response: Response, method: HttpMethod, pathTemplate: string): void {
    if (response.status >= 500) throw new Error(`${method} ${pathTemplate} answered ${response.status}: ${response.text.slice(0, 300)}`);
    if (declaredStatuses(method, pathTemplate).includes(String(response.status))) expectMatchesSpec(response, method, pathTemplate);
    else if (response.status >= 400) expectErrorShape(response, response.status);
    else throw new Error(`${method} ${pathTemplate} answered ${response.status}, a success the spec does not declare`);
  }

  it.each(operations())('$method $pathTemplate: never a 5xx, every answer as the spec says', async ({ method, pathTemplate }) => {
    const { slug, id } = await subjects();
    const known: Record<string, string[]> = { slug: [slug], username: [owner.username, other.username], id: [id] };
    const parameters = pathParameters(method, pathTemplate);
    const path = fc.record(
      Object.fromEntries(
        parameters.map((name) => [
          name,
          fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])) }, { weight: 1, arbitrary: anySegment }, { weight: 1, arbitrary: fc.integer().map(String) }),
        ]),
      ),
    );
    const body = bodyOf(method, pathTemplate) ?? fc.constant(undefined);
    await fc.assert(
      fc.asyncProperty(path, queryOf(method, pathTemplate), body, callerArbitrary, async (values, query, payload, caller) => {
        const concrete = pathTemplate.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(values[name]));
        expectAllowedBySpec(await send(method, concrete, caller, query, payload), method, pathTemplate);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('reaches past validation: successes and refusals of every kind', () => {
    for (const status of [200, 201, 401, 404, 422]) expect(tally.get(status) ?? 0).toBeGreaterThan(0);
  });

  describe('authorization matrix of every write operation', () => {
    /** The operations that change something, with whether a user other than the owner is refused. */
    const writes = operations().filter(({ method }) => method !== 'GET');
    const ownerOnly = new Set(['PUT /articles/{slug}', 'DELETE /articles/{slug}', 'DELETE /articles/{slug}/comments/{id}']);

    it.each(writes)('$method $pathTemplate', async ({ method, pathTemplate }) => {
      // Users of its own: the properties above may have renamed the shared ones.
      const [subjectsOwner, otherUser] = await twoUsers();
      headers = headersFor(subjectsOwner, otherUser);
      const statuses: Record<string, number> = {};
      for (const caller of CALLERS) {
        // Fresh subjects for each caller: the owner's own delete must not leave the next caller a 404.
        const { slug, id } = await subjects(subjectsOwner);
        const values: Record<string, string> = { slug, id, username: caller === 'other' ? subjectsOwner.username : otherUser.username };
        const concrete = pathTemplate.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(values[name]));
        const body = writeBody(pathTemplate);
        const response = await send(method, concrete, caller, {}, body);
        expectAllowedBySpec(response, method, pathTemplate);
        statuses[caller] = response.status;
      }
      const key = `${method} ${pathTemplate}`;
      // Registration and login are open to all: a token, good or bad, plays no part.
      const open = ['POST /users', 'POST /users/login'].includes(key);
      const denied = open ? {} : { anonymous: 401, forged: 401, expired: 401, malformed: 401 };
      const success = statuses.owner;
      expect(success).toBeLessThan(open ? 500 : 300);
      expect(statuses).toEqual({
        ...statuses,
        ...denied,
        ...(ownerOnly.has(key) ? { other: 403 } : {}),
      });
      if (!open && !ownerOnly.has(key)) expect(statuses.other).toBeLessThan(300);
    });
  });
});

/** A valid body for a write operation, so that only the caller decides the answer. */
function writeBody(pathTemplate: string): unknown {
  const suffix = Math.random().toString(36).slice(2, 10);
  switch (pathTemplate) {
    case '/users':
      return { user: { username: `m${suffix}`, email: `m${suffix}@example.test`, password: 'a-good-password' } };
    case '/users/login':
      return { user: { email: `nobody${suffix}@example.test`, password: 'a-good-password' } };
    case '/user':
      return { user: { bio: `bio ${suffix}` } };
    case '/articles':
      return { article: { title: `Matrix ${suffix}`, description: 'd', body: 'b', tagList: [] } };
    case '/articles/{slug}':
      return { article: { body: `changed ${suffix}` } };
    case '/articles/{slug}/comments':
      return { comment: { body: `comment ${suffix}` } };
    default:
      return undefined;
  }
}
