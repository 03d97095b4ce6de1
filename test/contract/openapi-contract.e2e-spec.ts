import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { load } from 'js-yaml';
import request from 'supertest';
import { API_PREFIX, buildOpenApiDocument } from '@/app.setup';
import { createTestApp } from '../helpers/app';
import { compareOperation, type Json, METHODS, specOperations } from './contract-diff';

/**
 * Our OpenAPI document (the one /docs shows, built from the code by @nestjs/swagger and its CLI
 * plugin) against the RealWorld spec: every operation, parameter, status, required field and
 * security requirement the spec declares must be in ours. The document under Jest equals the one
 * `nest build` produces because jest.config.js runs the same plugin.
 */
const spec = load(readFileSync(path.join(__dirname, 'openapi.yml'), 'utf8')) as Json;

/**
 * Statuses Conduit documents beyond the spec, deliberately. Anything else the document adds
 * fails the test: extend the spec only on purpose, with the reason here.
 */
const EXTRA_STATUSES: Record<string, Record<string, string>> = {
  'PUT /user': { '409': 'a new email or username can be taken (the spec answers 409 for that on registration)' },
  'GET /articles/{slug}': { '401': 'auth is optional, but a token that is present and invalid is refused, as on every optional-auth route' },
  'PUT /articles/{slug}': { '409': 'a new title gives a new slug, which can be taken (as on creation)' },
  'POST /articles': { '429': 'per-user write limits (ARTICLES_PER_HOUR, NEW_TAGS_PER_HOUR) that an honest author never meets' },
  'POST /articles/{slug}/comments': { '429': 'a per-user write limit (COMMENTS_PER_HOUR) that an honest commenter never meets' },
};

const ourPath = (specPath: string): string => `/${API_PREFIX}${specPath}`;

describe('OpenAPI contract (test/contract/openapi.yml)', () => {
  let app: NestExpressApplication;
  let ours: Json;

  beforeAll(async () => {
    app = await createTestApp();
    ours = buildOpenApiDocument(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  describe.each(specOperations(spec))('$name', (operation) => {
    it('declares what the spec declares', () => {
      const allowed = Object.keys(EXTRA_STATUSES[operation.name] ?? {});
      expect(compareOperation(spec, ours, operation, ourPath(operation.path), allowed).problems).toEqual([]);
    });
  });

  it('has no other methods on the spec paths', () => {
    const extra = Object.keys(spec.paths as Json).flatMap((specPath) =>
      METHODS.filter((method) => ours.paths[ourPath(specPath)]?.[method] && !spec.paths[specPath][method]).map(
        (method) => `${method.toUpperCase()} ${ourPath(specPath)}`,
      ),
    );
    expect(extra).toEqual([]);
  });

  it('allows extra statuses only where they are documented', () => {
    const unused = Object.entries(EXTRA_STATUSES).flatMap(([name, statuses]) => {
      const [method, specPath] = name.split(' ');
      const responses = ours.paths[ourPath(specPath)]?.[method.toLowerCase()]?.responses ?? {};
      return Object.keys(statuses).filter((status) => !responses[status]).map((status) => `${name} ${status}`);
    });
    // An allowance that no longer matches anything should go, so that the list stays the truth.
    expect(unused).toEqual([]);
  });

  it('defines the Token security scheme as the spec does', () => {
    const { type, in: where, name } = ours.components?.securitySchemes?.Token ?? {};
    const expected = spec.components.securitySchemes.Token;
    expect({ type, in: where, name }).toEqual({ type: expected.type, in: expected.in, name: expected.name });
  });

  it('serves the Swagger UI at /docs', async () => {
    const response = await request(app.getHttpServer()).get('/docs').redirects(1).expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('swagger-ui');
  });

  it('serves the document at /docs-json', async () => {
    const response = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body).toEqual(JSON.parse(JSON.stringify(ours)));
  });
});
