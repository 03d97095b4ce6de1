import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '@/common/errors/error-body';

/** How much structure one JSON body may have, whatever its size in bytes. */
export interface BodyShapeLimits {
  /** Object members and array elements in the whole body. */
  maxKeys: number;
  /** Objects and arrays inside one another. */
  maxDepth: number;
  /** Elements of any one array. */
  maxArrayLength: number;
}

export type BodyShapeViolation = 'keys' | 'depth' | 'array';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The first limit the raw JSON text exceeds, if any, found in one pass over its bytes before it
 * is parsed: JSON.parse alone takes a few hundred milliseconds for a 1 MB object of tiny members.
 * Structural characters are ASCII and never part of a multi-byte UTF-8 character, so the bytes
 * can be read as they come. Invalid JSON is left for the parser to refuse.
 */
export function rawBodyShapeViolation(bytes: Uint8Array, limits: BodyShapeLimits): BodyShapeViolation | undefined {
  // Elements seen so far in each open array (objects' entries are unused).
  const elements = new Int32Array(limits.maxDepth + 1);
  const isArray = new Uint8Array(limits.maxDepth + 1);
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (depth >= limits.maxDepth) return 'depth';
        // The element this container is, in the enclosing array.
        if (isArray[depth] && elements[depth] === 0) {
          elements[depth] = 1;
          if (++keys > limits.maxKeys) return 'keys';
        }
        depth += 1;
        isArray[depth] = byte === OPEN_ARRAY ? 1 : 0;
        elements[depth] = 0;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) depth -= 1;
        break;
      case COLON:
        if (++keys > limits.maxKeys) return 'keys';
        break;
      case COMMA:
        if (isArray[depth]) {
          // A comma starts an element; the first one also ends a first element not counted yet
          // (a lone scalar element goes uncounted, which the check of the parsed body makes up for).
          const added = elements[depth] === 0 ? 2 : 1;
          elements[depth] += added;
          keys += added;
          if (elements[depth] > limits.maxArrayLength) return 'array';
          if (keys > limits.maxKeys) return 'keys';
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * The first limit the parsed `body` exceeds, if any: the same limits, checked on the value itself
 * (whatever its encoding was). Walks with an explicit stack, so no depth can overflow it.
 */
export function bodyShapeViolation(body: unknown, limits: BodyShapeLimits): BodyShapeViolation | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 0 }];
  let keys = 0;
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxDepth) return 'depth';
    let children: unknown[];
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) return 'array';
      if ((keys += value.length) > limits.maxKeys) return 'keys';
      children = value;
    } else {
      children = [];
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (++keys > limits.maxKeys) return 'keys';
        children.push((value as Record<string, unknown>)[key]);
      }
    }
    for (const child of children) if (typeof child === 'object' && child !== null) pending.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

const STATUS: Record<BodyShapeViolation, 413 | 422> = { keys: 413, array: 413, depth: 422 };

function describe(violation: BodyShapeViolation, limits: BodyShapeLimits): string {
  switch (violation) {
    case 'keys':
      return `has too many keys or elements (at most ${limits.maxKeys})`;
    case 'array':
      return `has an array that is too long (at most ${limits.maxArrayLength} elements)`;
    case 'depth':
      return `is nested too deeply (at most ${limits.maxDepth} levels)`;
  }
}

/** Raised by the JSON parser's `verify` step; the exception filter answers it in the error shape. */
export class BodyTooComplex extends Error {
  readonly type = 'entity.too.complex';
  readonly expose = true;
  readonly status: 413 | 422;
  readonly statusCode: 413 | 422;

  constructor(violation: BodyShapeViolation, limits: BodyShapeLimits) {
    super(describe(violation, limits));
    this.status = this.statusCode = STATUS[violation];
  }
}

/**
 * The JSON parser's `verify` option: refuses a body with more structure than any request of the
 * API needs before it is parsed. Parsing and class-transformer (whose cost grows with the square of
 * an object's members) would otherwise hold the event loop for seconds on a body within
 * BODY_LIMIT, and a deeply nested one overflowed class-transformer's recursion.
 */
export function verifyBodyShape(limits: BodyShapeLimits) {
  return (_request: IncomingMessage, _response: ServerResponse, bytes: Buffer): void => {
    const violation = rawBodyShapeViolation(bytes, limits);
    if (violation) throw new BodyTooComplex(violation, limits);
  };
}

/** The same limits on the parsed body, for what the byte scan cannot see (a body in UTF-16). */
export function bodyShapeMiddleware(limits: BodyShapeLimits) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const violation = bodyShapeViolation(request.body, limits);
    if (!violation) {
      next();
      return;
    }
    response.status(STATUS[violation]).json(errorBody('body', describe(violation, limits)));
  };
}
