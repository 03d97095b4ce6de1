import fc from 'fast-check';
import { HttpMethod, operation, spec } from './openapi';

/**
 * fast-check arbitraries drawn from the OpenAPI contract (`test/contract/openapi.yml`): request
 * bodies and query strings that follow an operation's schemas, each node of which is sometimes
 * replaced by a value of the wrong type or left out, so that both valid and invalid input reach
 * the API in every mix.
 */

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  format?: string;
  minimum?: number;
  maximum?: number;
}

interface Parameter {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

interface OperationDetails {
  parameters?: Parameter[];
  requestBody?: { $ref?: string; content?: Record<string, { schema?: JsonSchema }> };
}

/** The object at `#/components/<kind>/<name>`. */
function component<T>(ref: string): T {
  const [, , kind, name] = ref.split('/');
  const found = spec.components[kind]?.[name];
  if (!found) throw new Error(`Unresolvable reference ${ref}`);
  return found as T;
}

/** Text as people type it, plus what fast-check finds odd: unicode, control characters, long runs. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9 ]{0,20}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '<script>', "' OR 1=1 --", '💥'.repeat(50), 'x'.repeat(5_000)) },
);

/** A value valid against `schema` most of the time, and anything at all otherwise. */
export function valueOf(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.jsonValue({ maxDepth: 2 });
  return fc.oneof({ weight: 6, arbitrary: validValueOf(schema, depth) }, { weight: 1, arbitrary: wrong });
}

function validValueOf(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.$ref) return valueOf(component<JsonSchema>(schema.$ref), depth);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'object'];
  return fc.oneof(...types.map((type) => valueOfType(type, schema, depth)));
}

function valueOfType(type: string, schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -5, max: schema.maximum ?? 1_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'string':
      return schema.format === 'email' ? fc.oneof(fc.emailAddress(), text) : text;
    case 'array':
      return fc.array(schema.items && depth < 4 ? valueOf(schema.items, depth + 1) : text, { maxLength: 4 });
    case 'object': {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, valueOf(property, depth + 1)]));
      const required = schema.required ?? [];
      // Mostly complete, sometimes missing required fields.
      return fc.oneof({ weight: 4, arbitrary: fc.record(properties, { requiredKeys: required }) }, { weight: 1, arbitrary: fc.record(properties, { requiredKeys: [] }) });
    }
    default:
      throw new Error(`no arbitrary for schema type ${type}`);
  }
}

function details(method: HttpMethod, pathTemplate: string): OperationDetails {
  return operation(method, pathTemplate) as unknown as OperationDetails;
}

/** The JSON body an operation takes, or undefined when it takes none. */
export function bodyOf(method: HttpMethod, pathTemplate: string): fc.Arbitrary<unknown> | undefined {
  const body = details(method, pathTemplate).requestBody;
  if (!body) return undefined;
  const resolved = body.$ref ? component<{ content: Record<string, { schema: JsonSchema }> }>(body.$ref) : body;
  const schema = resolved.content?.['application/json']?.schema;
  return schema ? valueOf(schema) : undefined;
}

/** The path parameters of an operation, by name. */
export function pathParameters(method: HttpMethod, pathTemplate: string): string[] {
  return (details(method, pathTemplate).parameters ?? [])
    .map((parameter) => (parameter.$ref ? component<Parameter>(parameter.$ref) : parameter))
    .filter((parameter) => parameter.in === 'path')
    .map((parameter) => parameter.name);
}

/** A query string for an operation's query parameters: each present or not, valid or not. */
export function queryOf(method: HttpMethod, pathTemplate: string): fc.Arbitrary<Record<string, string>> {
  const parameters = (details(method, pathTemplate).parameters ?? [])
    .map((parameter) => (parameter.$ref ? component<Parameter>(parameter.$ref) : parameter))
    .filter((parameter) => parameter.in === 'query');
  const entries = Object.fromEntries(
    parameters.map((parameter) => [parameter.name, fc.oneof({ weight: 3, arbitrary: valueOfType(String(parameter.schema.type), parameter.schema, 0).map(String) }, { weight: 1, arbitrary: text })]),
  );
  return fc.record(entries, { requiredKeys: [] }).map((query) =>
    Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  );
}

/** Every operation of the spec, as method and path template. */
export function operations(): Array<{ method: HttpMethod; pathTemplate: string }> {
  return Object.entries(spec.paths).flatMap(([pathTemplate, byMethod]) =>
    Object.keys(byMethod)
      .filter((method) => ['get', 'post', 'put', 'delete'].includes(method))
      .map((method) => ({ method: method.toUpperCase() as HttpMethod, pathTemplate })),
  );
}
