import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { Response } from 'supertest';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { decodeClaims } from './tokens';

/**
 * Builds data through the public API, as a client would, with names unique across the run.
 * Each factory fails loudly (with the response) when the API refuses, so a broken factory is
 * never mistaken for the behaviour under test.
 */

let sequence = 0;
/** A short suffix unique within the run (and across runs, thanks to the random part). */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}${randomBytes(3).toString('hex')}`;
}

export function api(app: NestExpressApplication): ReturnType<typeof request> {
  return request(app.getHttpServer());
}

/** The `Authorization` header value the spec asks for. */
export function auth(token: string): string {
  return `Token ${token}`;
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
  bio: string | null;
  image: string | null;
}

export interface ArticleBody {
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  favorited: boolean;
  favoritesCount: number;
  author: { username: string; bio: string | null; image: string | null; following: boolean };
}

export interface CommentBody {
  id: number;
  body: string;
  createdAt: string;
  updatedAt: string;
  author: { username: string; bio: string | null; image: string | null; following: boolean };
}

function expectStatus(response: Response, status: number, what: string): void {
  if (response.status !== status) {
    throw new Error(`factory: ${what} answered ${response.status} (expected ${status}): ${response.text}`);
  }
}

export function newUserInput(overrides: Partial<{ username: string; email: string; password: string }> = {}): {
  username: string;
  email: string;
  password: string;
} {
  const username = overrides.username ?? unique('user');
  return { username, email: overrides.email ?? `${username}@example.test`, password: overrides.password ?? `pw-${username}-secret` };
}

/** Registers a user through `POST /api/users`. */
export async function registerUser(
  app: NestExpressApplication,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  const input = newUserInput(overrides);
  const response = await api(app).post('/api/users').send({ user: input });
  expectStatus(response, 201, `registering ${input.username}`);
  const user = response.body.user as { token: string; username: string; email: string; bio: string | null; image: string | null };
  return { ...input, ...user, id: Number(decodeClaims(user.token).sub) };
}

/** Registers `count` users, a few at a time (each registration hashes a password). */
export async function registerUsers(app: NestExpressApplication, count: number, prefix = 'user'): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let start = 0; start < count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start) }, () => registerUser(app, { username: unique(prefix) }));
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

export function newArticleInput(
  overrides: Partial<{ title: string; description: string; body: string; tagList: string[] }> = {},
): { title: string; description: string; body: string; tagList?: string[] } {
  const title = overrides.title ?? `Article ${unique('t')}`;
  return {
    title,
    description: overrides.description ?? `About ${title}`,
    body: overrides.body ?? `The body of ${title}.`,
    ...(overrides.tagList && { tagList: overrides.tagList }),
  };
}

/** Creates an article through `POST /api/articles`. */
export async function createArticle(
  app: NestExpressApplication,
  author: TestUser,
  overrides: Partial<{ title: string; description: string; body: string; tagList: string[] }> = {},
): Promise<ArticleBody> {
  const response = await api(app)
    .post('/api/articles')
    .set('Authorization', auth(author.token))
    .send({ article: newArticleInput(overrides) });
  expectStatus(response, 201, `creating an article by ${author.username}`);
  return response.body.article as ArticleBody;
}

/** Creates articles one after the other, so that their creation times are in order. */
export async function createArticles(
  app: NestExpressApplication,
  author: TestUser,
  count: number,
  overrides: (index: number) => Partial<{ title: string; tagList: string[] }> = () => ({}),
): Promise<ArticleBody[]> {
  const articles: ArticleBody[] = [];
  for (let index = 0; index < count; index += 1) articles.push(await createArticle(app, author, overrides(index)));
  return articles;
}

export async function addComment(app: NestExpressApplication, author: TestUser, slug: string, body = `Comment ${unique('c')}`): Promise<CommentBody> {
  const response = await api(app)
    .post(`/api/articles/${encodeURIComponent(slug)}/comments`)
    .set('Authorization', auth(author.token))
    .send({ comment: { body } });
  expectStatus(response, 201, `commenting on ${slug}`);
  return response.body.comment as CommentBody;
}

export async function follow(app: NestExpressApplication, follower: TestUser, username: string): Promise<void> {
  const response = await api(app)
    .post(`/api/profiles/${encodeURIComponent(username)}/follow`)
    .set('Authorization', auth(follower.token));
  expectStatus(response, 200, `${follower.username} following ${username}`);
}

export async function favorite(app: NestExpressApplication, user: TestUser, slug: string): Promise<void> {
  const response = await api(app)
    .post(`/api/articles/${encodeURIComponent(slug)}/favorite`)
    .set('Authorization', auth(user.token));
  expectStatus(response, 200, `${user.username} favoriting ${slug}`);
}

/** The Prisma client of the running application, to check the rows a request changed. */
export function db(app: NestExpressApplication): PrismaService {
  return app.get(PrismaService);
}
