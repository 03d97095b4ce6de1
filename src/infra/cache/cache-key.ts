import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage } from 'class-validator';

/**
 * The query parameters a route handler reads: the properties of its `@Query()` DTO (those with
 * validation rules, the only ones the validation pipe keeps) and the names of its `@Query('name')`
 * arguments. Everything else in a URL changes nothing in the answer and must not make a new entry.
 */
export function queryParametersOf(controller: object, handlerName: string): string[] {
  const type = controller.constructor;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, handlerName) ?? {}) as Record<string, { index: number; data?: unknown }>;
  const parameterTypes = (Reflect.getMetadata('design:paramtypes', type.prototype as object, handlerName) ?? []) as Array<new () => unknown>;
  const names = new Set<string>();
  for (const [key, { index, data }] of Object.entries(args)) {
    if (Number(key.split(':')[0]) !== Number(RouteParamtypes.QUERY)) continue;
    if (typeof data === 'string') {
      names.add(data);
      continue;
    }
    const dto = parameterTypes[index];
    for (const rule of dto ? getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false) : []) names.add(rule.propertyName);
  }
  return [...names].sort();
}

/**
 * The cache key part of a URL: its path and, of its query, only `parameters` (sorted), each with
 * its values in the order given. The same query in any parameter order, or with parameters the
 * route ignores, is the same entry.
 */
export function canonicalUrl(url: string, parameters: readonly string[]): string {
  const parsed = new URL(url, 'http://localhost');
  const kept = new URLSearchParams();
  for (const name of parameters) {
    for (const value of parsed.searchParams.getAll(name)) kept.append(name, value);
  }
  const query = kept.toString();
  return query ? `${parsed.pathname}?${query}` : parsed.pathname;
}
