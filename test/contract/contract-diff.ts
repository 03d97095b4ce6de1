/**
 * Compares Conduit's generated OpenAPI document with the RealWorld spec (test/contract/openapi.yml),
 * one operation at a time, and describes every way ours falls short in plain sentences, so that a
 * failing contract test says what to fix.
 *
 * The spec is OpenAPI 3.1 (`type: [string, 'null']`), ours is 3.0 (`nullable: true`); `$ref`s and
 * single-`allOf` wrappers are resolved in both before comparing.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML and JSON documents, walked by hand
export type Json = Record<string, any>;
export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

export const METHODS: Method[] = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export interface Operation {
  /** `GET /articles/{slug}`, as the spec names it (relative to the server's `/api`). */
  name: string;
  path: string;
  method: Method;
}

/** Every operation the spec declares. */
export function specOperations(spec: Json): Operation[] {
  return Object.entries(spec.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ name: `${method.toUpperCase()} ${path}`, path, method })),
  );
}

/** Follows `$ref`s ('#/components/...') until a value that is not a reference. */
export function deref(doc: Json, node: Json | undefined): Json | undefined {
  let current = node;
  const seen = new Set<string>();
  while (current && typeof current.$ref === 'string') {
    const ref: string = current.$ref;
    if (!ref.startsWith('#/') || seen.has(ref)) throw new Error(`cannot resolve $ref ${ref}`);
    seen.add(ref);
    const target = ref
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((value, key) => (value as Json | undefined)?.[key], doc);
    if (target === undefined) throw new Error(`dangling $ref ${ref}`);
    current = target as Json;
  }
  return current;
}

/** A schema with its references resolved and `allOf` merged: what a validator would apply. */
function resolveSchema(doc: Json, node: Json | undefined): Json | undefined {
  const schema = deref(doc, node);
  if (!schema?.allOf) return schema;
  const { allOf, ...rest } = schema;
  const merged: Json = { ...rest };
  for (const part of (allOf as Json[]).map((each) => resolveSchema(doc, each) ?? {})) {
    merged.type ??= part.type;
    merged.nullable ??= part.nullable;
    merged.format ??= part.format;
    merged.items ??= part.items;
    if (part.properties) merged.properties = { ...part.properties, ...merged.properties };
    if (part.required) merged.required = [...new Set([...(merged.required ?? []), ...part.required])];
  }
  return merged;
}

/** `{ type, nullable }` from either dialect: 3.1 `type: ['string', 'null']` or 3.0 `nullable: true`. */
function typeOf(schema: Json): { type?: string; nullable: boolean } {
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const nonNull = types.filter((type) => type !== 'null');
  return { type: nonNull.length === 1 ? nonNull[0] : nonNull.join('|') || undefined, nullable: types.includes('null') || schema.nullable === true };
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();
const list = (values: Iterable<string>): string => sorted(values).join(', ');

type Direction = 'request' | 'response';

/**
 * Differences between the spec's schema and ours at `where`. Requests: the same required fields
 * (ours may not demand more, nor less). Responses: ours promises at least the spec's required
 * fields. Both: every property the spec names exists, with the same type, nullability and format.
 */
export function compareSchemas(spec: Json, ours: Json, specNode: Json | undefined, ourNode: Json | undefined, where: string, direction: Direction): string[] {
  const specSchema = resolveSchema(spec, specNode);
  const ourSchema = resolveSchema(ours, ourNode);
  if (!specSchema) return [];
  if (!ourSchema) return [`${where}: no schema (the spec has one)`];
  const problems: string[] = [];
  const specType = typeOf(specSchema);
  const ourType = typeOf(ourSchema);
  if (specType.type && specType.type !== ourType.type) problems.push(`${where}: type is ${ourType.type ?? '(none)'}, the spec says ${specType.type}`);
  if (specType.nullable !== ourType.nullable) problems.push(`${where}: ${specType.nullable ? 'must be nullable' : 'must not be nullable'} (the spec says ${specType.nullable ? 'it may be null' : 'it may not be null'})`);
  if (specSchema.format && specSchema.format !== ourSchema.format) problems.push(`${where}: format is ${ourSchema.format ?? '(none)'}, the spec says ${specSchema.format}`);

  const specRequired = new Set<string>(specSchema.required ?? []);
  const ourRequired = new Set<string>(ourSchema.required ?? []);
  const missingRequired = [...specRequired].filter((field) => !ourRequired.has(field));
  const extraRequired = [...ourRequired].filter((field) => !specRequired.has(field));
  if (missingRequired.length) problems.push(`${where}: required is [${list(ourRequired)}], missing ${list(missingRequired)} (the spec requires [${list(specRequired)}])`);
  if (direction === 'request' && extraRequired.length) problems.push(`${where}: required is [${list(ourRequired)}], the spec does not require ${list(extraRequired)} (it requires [${list(specRequired)}])`);

  for (const [property, specProperty] of Object.entries<Json>(specSchema.properties ?? {})) {
    const ourProperty = ourSchema.properties?.[property];
    if (!ourProperty) problems.push(`${where}.${property}: missing (the spec declares it)`);
    else problems.push(...compareSchemas(spec, ours, specProperty, ourProperty, `${where}.${property}`, direction));
  }
  if (specSchema.items) problems.push(...compareSchemas(spec, ours, specSchema.items, ourSchema.items, `${where}[]`, direction));
  return problems;
}

function jsonSchemaOf(doc: Json, container: Json | undefined): Json | undefined {
  return deref(doc, container)?.content?.['application/json']?.schema;
}

export interface OperationDiff {
  problems: string[];
  /** Statuses ours documents that the spec does not declare for this operation. */
  extraStatuses: string[];
}

/**
 * Compares one operation. `ourPath` is where the spec's path lives in our document (under `/api`).
 * `allowedExtraStatuses` are the statuses ours may add to this operation (deliberate, documented).
 */
export function compareOperation(spec: Json, ours: Json, operation: Operation, ourPath: string, allowedExtraStatuses: string[] = []): OperationDiff {
  const specOperation: Json = spec.paths[operation.path][operation.method];
  const ourOperation: Json | undefined = ours.paths?.[ourPath]?.[operation.method];
  if (!ourOperation) return { problems: [`${operation.method.toUpperCase()} ${ourPath} is not in our document`], extraStatuses: [] };
  const problems: string[] = [];

  // Parameters: each the spec declares, in the same place, equally required, of the same type.
  const ourParameters = ((ourOperation.parameters ?? []) as Json[]).map((parameter) => deref(ours, parameter)!);
  for (const specParameter of ((specOperation.parameters ?? []) as Json[]).map((parameter) => deref(spec, parameter)!)) {
    const where = `${specParameter.in} parameter ${specParameter.name}`;
    const ourParameter = ourParameters.find((parameter) => parameter.name === specParameter.name && parameter.in === specParameter.in);
    if (!ourParameter) {
      problems.push(`${where}: missing`);
      continue;
    }
    if (Boolean(specParameter.required) !== Boolean(ourParameter.required)) problems.push(`${where}: required is ${Boolean(ourParameter.required)}, the spec says ${Boolean(specParameter.required)}`);
    problems.push(...compareSchemas(spec, ours, specParameter.schema, ourParameter.schema, where, 'request'));
  }

  // Request body: present and required when the spec's is; same required fields, envelope and inner object.
  const specBody = deref(spec, specOperation.requestBody);
  const ourBody = deref(ours, ourOperation.requestBody);
  if (specBody && !ourBody) problems.push('request body: missing');
  if (specBody && ourBody) {
    if (Boolean(specBody.required) !== Boolean(ourBody.required)) problems.push(`request body: required is ${Boolean(ourBody.required)}, the spec says ${Boolean(specBody.required)}`);
    problems.push(...compareSchemas(spec, ours, jsonSchemaOf(spec, specBody), jsonSchemaOf(ours, ourBody), 'request body', 'request'));
  }

  // Responses: every status the spec declares, each with (at least) the spec's body.
  const specStatuses = Object.keys(specOperation.responses ?? {});
  const ourStatuses = Object.keys(ourOperation.responses ?? {});
  for (const status of specStatuses) {
    if (!ourStatuses.includes(status)) {
      problems.push(`response ${status}: not documented`);
      continue;
    }
    const specSchema = jsonSchemaOf(spec, specOperation.responses[status]);
    problems.push(...compareSchemas(spec, ours, specSchema, jsonSchemaOf(ours, ourOperation.responses[status]), `response ${status}`, 'response'));
  }
  const extraStatuses = ourStatuses.filter((status) => !specStatuses.includes(status));
  for (const status of extraStatuses) {
    const response = deref(ours, ourOperation.responses[status]);
    if (!allowedExtraStatuses.includes(status)) problems.push(`response ${status}: ours documents it, the spec does not (fix it, or allow it in the contract test with the reason)`);
    else if (!response?.description?.trim()) problems.push(`response ${status}: an extra status needs a description`);
  }

  // Security: a spec operation that needs a token needs ours; one that does not must stay open.
  const specNeedsToken = ((specOperation.security ?? spec.security ?? []) as Json[]).some((requirement) => 'Token' in requirement);
  const ourSecurity = (ourOperation.security ?? ours.security ?? []) as Json[];
  const ourAcceptsToken = ourSecurity.some((requirement) => 'Token' in requirement);
  const ourAllowsAnonymous = ourSecurity.length === 0 || ourSecurity.some((requirement) => Object.keys(requirement).length === 0);
  if (specNeedsToken && !ourAcceptsToken) problems.push('security: the spec requires Token, ours does not declare it');
  if (specNeedsToken && ourAllowsAnonymous) problems.push('security: the spec requires Token, ours also allows anonymous calls');
  if (!specNeedsToken && !ourAllowsAnonymous) problems.push('security: the spec allows anonymous calls, ours requires a token');

  return { problems, extraStatuses };
}
