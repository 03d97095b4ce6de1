import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { compareOperation, type Json, type Operation, specOperations } from './contract-diff';

// The contract test can only pass for the right reasons if the comparison can fail: here the spec
// is compared with a copy of itself in our dialect (OpenAPI 3.0, under /api), then with damaged copies.
const spec = load(readFileSync(path.join(__dirname, 'openapi.yml'), 'utf8')) as Json;

/** The spec as @nestjs/swagger would write it: `nullable: true` instead of `type: [x, 'null']`, paths under /api. */
function asOurs(document: Json): Json {
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (!node || typeof node !== 'object') return node;
    const out: Json = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, convert(value)]));
    if (Array.isArray(out.type) && out.type.includes('null')) {
      out.type = out.type.find((type: string) => type !== 'null');
      out.nullable = true;
    }
    return out;
  };
  const converted = convert(document) as Json;
  converted.paths = Object.fromEntries(Object.entries(converted.paths as Json).map(([specPath, item]) => [`/api${specPath}`, item]));
  return converted;
}

const operation = (name: string): Operation => specOperations(spec).find((each) => each.name === name)!;
const problems = (ours: Json, name: string, allowed: string[] = []): string[] =>
  compareOperation(spec, ours, operation(name), `/api${operation(name).path}`, allowed).problems;

describe('compareOperation', () => {
  it('finds nothing between the spec and itself', () => {
    const ours = asOurs(spec);
    for (const each of specOperations(spec)) expect(problems(ours, each.name)).toEqual([]);
  });

  it('reports a missing operation', () => {
    const ours = asOurs(spec);
    delete ours.paths['/api/tags'].get;
    expect(problems(ours, 'GET /tags')).toEqual(['GET /api/tags is not in our document']);
  });

  it('reports a missing status and an undeclared extra one, and accepts an allowed, described extra', () => {
    const ours = asOurs(spec);
    const responses = ours.paths['/api/articles/{slug}'].get.responses;
    delete responses['404'];
    responses['401'] = { description: 'Bad token' };
    expect(problems(ours, 'GET /articles/{slug}')).toEqual([
      'response 404: not documented',
      'response 401: ours documents it, the spec does not (fix it, or allow it in the contract test with the reason)',
    ]);
    delete ours.paths['/api/articles/{slug}'].get.responses['401'].description;
    expect(problems(ours, 'GET /articles/{slug}', ['401'])).toEqual(['response 404: not documented', 'response 401: an extra status needs a description']);
  });

  it('reports request bodies whose required fields differ, in the envelope or inside it', () => {
    const ours = asOurs(spec);
    ours.components.schemas.NewArticle.required = ['title', 'body', 'tagList'];
    ours.components.requestBodies.NewArticleRequest.content['application/json'].schema.required = [];
    expect(problems(ours, 'POST /articles')).toEqual([
      'request body: required is [], missing article (the spec requires [article])',
      'request body.article: required is [body, tagList, title], missing description (the spec requires [body, description, title])',
      'request body.article: required is [body, tagList, title], the spec does not require tagList (it requires [body, description, title])',
    ]);
  });

  it('follows $ref and allOf in our document', () => {
    const ours = asOurs(spec);
    const body = ours.components.requestBodies.UpdateUserRequest.content['application/json'].schema;
    body.properties.user = { description: 'At least one field', allOf: [{ $ref: '#/components/schemas/UpdateUser' }] };
    expect(problems(ours, 'PUT /user')).toEqual([]);
    ours.components.schemas.UpdateUser.properties.bio = { type: 'string' };
    expect(problems(ours, 'PUT /user')).toEqual(['request body.user.bio: must be nullable (the spec says it may be null)']);
  });

  it('reports response bodies that promise less than the spec, down to nested items', () => {
    const ours = asOurs(spec);
    const item = ours.components.responses.MultipleArticlesResponse.content['application/json'].schema.properties.articles.items;
    item.required = item.required.filter((field: string) => field !== 'favorited');
    delete item.properties.author;
    ours.components.schemas.Profile.properties.following = { type: 'string' };
    expect(problems(ours, 'GET /articles')).toEqual([
      'response 200.articles[]: required is [author, createdAt, description, favoritesCount, slug, tagList, title, updatedAt], missing favorited (the spec requires [author, createdAt, description, favorited, favoritesCount, slug, tagList, title, updatedAt])',
      'response 200.articles[].author: missing (the spec declares it)',
    ]);
    expect(problems(ours, 'GET /profiles/{username}')).toEqual(['response 200.profile.following: type is string, the spec says boolean']);
  });

  it('accepts response bodies that promise more than the spec', () => {
    const ours = asOurs(spec);
    const user = ours.components.schemas.User;
    user.properties.createdAt = { type: 'string', format: 'date-time' };
    user.required = [...user.required, 'createdAt'];
    expect(problems(ours, 'GET /user')).toEqual([]);
  });

  it('reports parameters that are missing or of another type', () => {
    const ours = asOurs(spec);
    const parameters = ours.paths['/api/articles'].get.parameters as Json[];
    ours.paths['/api/articles'].get.parameters = parameters.filter((parameter) => parameter.name !== 'tag');
    ours.components.parameters.limitParam.schema.type = 'number';
    expect(problems(ours, 'GET /articles')).toEqual(['query parameter tag: missing', 'query parameter limit: type is number, the spec says integer']);
  });

  it('reports security that is missing, optional where the spec requires it, or required where the spec does not', () => {
    const ours = asOurs(spec);
    delete ours.paths['/api/user'].get.security;
    ours.paths['/api/user'].put.security = [{ Token: [] }, {}];
    ours.paths['/api/tags'].get.security = [{ Token: [] }];
    ours.paths['/api/articles'].get.security = [{ Token: [] }, {}];
    expect(problems(ours, 'GET /user')).toEqual([
      'security: the spec requires Token, ours does not declare it',
      'security: the spec requires Token, ours also allows anonymous calls',
    ]);
    expect(problems(ours, 'PUT /user')).toEqual(['security: the spec requires Token, ours also allows anonymous calls']);
    expect(problems(ours, 'GET /tags')).toEqual(['security: the spec allows anonymous calls, ours requires a token']);
    expect(problems(ours, 'GET /articles')).toEqual([]);
  });
});
