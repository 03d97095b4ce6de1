/**
 * An error a feature raises on purpose. The exception filter turns it into the RealWorld shape
 * `{"errors": {"<key>": ["<message>"]}}` with its status; features never build HTTP responses.
 */
export abstract class DomainError extends Error {
  abstract readonly status: 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

  constructor(
    /** The field or resource the message is about: `title`, `article`, `token`. */
    readonly key: string,
    message: string,
  ) {
    super(`${key} ${message}`);
    this.reasonText = message;
  }

  /** The message as the client sees it, without the key. */
  readonly reasonText: string;

  get errors(): Record<string, string[]> {
    return { [this.key]: [this.reasonText] };
  }

  /** Response headers that go with the error (Retry-After on 429). */
  get headers(): Record<string, string> | undefined {
    return undefined;
  }
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(resource: string) {
    super(resource, 'not found');
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  constructor(resource: string) {
    super(resource, 'forbidden');
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
  constructor(field: string) {
    super(field, 'has already been taken');
  }
}

export class InvalidError extends DomainError {
  readonly status = 422;
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
}
