import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { load } from 'js-yaml';
import type { Response } from 'supertest';

/**
 * Checks responses against the RealWorld contract, `test/contract/openapi.yml` (OpenAPI 3.1, whose
 * schemas are JSON Schema 2020-12). The spec's components are registered with Ajv under one id,
 * so that every `#/components/...` reference inside a response schema resolves as written.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface MediaType {
  schema?: object;
}
interface ResponseObject {
  $ref?: string;
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Lowercase<HttpMethod>, Operation>>>;
  components: Record<string, Record<string, unknown>>;
}

export const SPEC_PATH = path.resolve(__dirname, '../contract/openapi.yml');
const SPEC_ID = 'https://conduit.test/openapi.yml';
const API_PREFIX = '/api';

export const spec = load(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
// OpenAPI's own annotations: not validation keywords, but strict mode must know them.
ajv.addKeyword({ keyword: 'components' });
ajv.addKeyword({ keyword: 'example' });
ajv.addFormat('password', true);
ajv.addSchema({ $id: SPEC_ID, components: spec.components });

const validators = new Map<string, ValidateFunction>();

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The operation of the spec at `method` and `pathTemplate` (e.g. `/articles/{slug}`); throws if there is none. */
export function operation(method: HttpMethod, pathTemplate: string): Operation {
  const found = spec.paths[pathTemplate]?.[method.toLowerCase() as Lowercase<HttpMethod>];
  if (!found) throw new Error(`The spec has no operation ${method} ${pathTemplate}`);
  return found;
}

/** The statuses the spec declares for an operation, as strings ('200', '404', ...). */
export function declaredStatuses(method: HttpMethod, pathTemplate: string): string[] {
  return Object.keys(operation(method, pathTemplate).responses);
}

/** Follows a `#/components/responses/X` reference to the response object and its JSON pointer. */
function resolveResponse(method: HttpMethod, pathTemplate: string, status: string): { response: ResponseObject; pointer: string } {
  const declared = operation(method, pathTemplate).responses[status];
  if (declared.$ref) {
    const name = declared.$ref.replace('#/components/responses/', '');
    const response = spec.components.responses[name] as ResponseObject | undefined;
    if (!response) throw new Error(`Unresolvable response reference ${declared.$ref}`);
    return { response, pointer: `#/components/responses/${escapePointer(name)}` };
  }
  return { response: declared, pointer: `#/paths/${escapePointer(pathTemplate)}/${method.toLowerCase()}/responses/${status}` };
}

/** A validator for the schema at `schemaPointer` (a JSON pointer into the spec). */
function validatorFor(schemaPointer: string): ValidateFunction {
  let validate = validators.get(schemaPointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}${schemaPointer}` });
    validators.set(schemaPointer, validate);
  }
  return validate;
}

/** A validator for a component schema (`GenericErrorModel`, `Article`, ...). */
export function componentValidator(name: string): ValidateFunction {
  return validatorFor(`#/components/schemas/${escapePointer(name)}`);
}

function templateMatches(pathTemplate: string, actualPath: string): boolean {
  const pattern = pathTemplate
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`).test(actualPath);
}

function summary(response: Response): string {
  return `${response.request.method} ${new URL(response.request.url).pathname} -> ${response.status} ${response.text ?? ''}`.slice(0, 600);
}

/** Problems with the request line: the response must come from the operation being checked. */
function requestProblems(response: Response, method: HttpMethod, pathTemplate: string): string[] {
  const problems: string[] = [];
  const requestPath = new URL(response.request.url).pathname;
  if (response.request.method !== method) problems.push(`request method was ${response.request.method}, not ${method}`);
  if (!requestPath.startsWith(API_PREFIX) || !templateMatches(pathTemplate, requestPath.slice(API_PREFIX.length))) {
    problems.push(`request path ${requestPath} is not ${API_PREFIX}${pathTemplate}`);
  }
  return problems;
}

function bodyProblems(response: Response, validate: ValidateFunction): string[] {
  const problems: string[] = [];
  if (response.headers['content-type'] !== 'application/json; charset=utf-8') {
    problems.push(`content-type is ${String(response.headers['content-type'])}, not application/json; charset=utf-8`);
  }
  if (!validate(response.body)) {
    problems.push(`body does not match the schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
  }
  return problems;
}

/**
 * Asserts that `response` is one the spec allows for `method pathTemplate`: its status is declared
 * for that operation, and its body is what that status declares (the JSON schema, with the
 * `application/json; charset=utf-8` content type; or no body at all for a response with no content).
 */
export function expectMatchesSpec(response: Response, method: HttpMethod, pathTemplate: string): void {
  const problems = requestProblems(response, method, pathTemplate);
  const status = String(response.status);
  const declared = declaredStatuses(method, pathTemplate);
  if (!declared.includes(status)) {
    problems.push(`status ${status} is not declared for ${method} ${pathTemplate} (declared: ${declared.join(', ')})`);
  } else {
    const { response: declaredResponse, pointer } = resolveResponse(method, pathTemplate, status);
    const json = declaredResponse.content?.['application/json'];
    if (json?.schema) {
      problems.push(...bodyProblems(response, validatorFor(`${pointer}/content/application~1json/schema`)));
    } else if (response.text !== '' && response.text !== undefined) {
      problems.push(`the spec declares no content, but the body is ${JSON.stringify(response.text.slice(0, 200))}`);
    }
  }
  expect({ response: summary(response), problems }).toEqual({ response: summary(response), problems: [] });
}

/**
 * For a status Conduit answers where the spec is silent (a documented Conduit decision, such as
 * 409 on a taken title in `PUT /articles/{slug}` or 401 for a bad token on `GET /articles/{slug}`):
 * asserts that the spec indeed does not declare it (so that this check is revisited when the spec
 * changes) and that the body still has the RealWorld error shape.
 */
export function expectUndeclaredError(response: Response, method: HttpMethod, pathTemplate: string, status: number): void {
  const problems = requestProblems(response, method, pathTemplate);
  if (response.status !== status) problems.push(`status is ${response.status}, expected ${status}`);
  if (declaredStatuses(method, pathTemplate).includes(String(status))) {
    problems.push(`the spec now declares ${status} for ${method} ${pathTemplate}: use expectMatchesSpec`);
  }
  problems.push(...bodyProblems(response, componentValidator('GenericErrorModel')));
  expect({ response: summary(response), problems }).toEqual({ response: summary(response), problems: [] });
}

/** Asserts the RealWorld error shape (GenericErrorModel) for a response no operation describes (413, unknown route). */
export function expectErrorShape(response: Response, status: number): void {
  const problems = response.status === status ? [] : [`status is ${response.status}, expected ${status}`];
  problems.push(...bodyProblems(response, componentValidator('GenericErrorModel')));
  expect({ response: summary(response), problems }).toEqual({ response: summary(response), problems: [] });
}
