import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { Prisma } from '@/generated/prisma/client';
import { isDatabaseUnavailable, isStatementTimeout, uniqueViolationFields } from '@/infra/prisma/prisma-errors';
import { DomainError } from '@/common/errors/domain-error';
import { ErrorBody, errorBody } from '@/common/errors/error-body';

interface Translated {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

/**
 * The one place where errors become HTTP responses, always in the RealWorld shape. It lives in
 * infra because it knows how the database and the body parser fail; features throw DomainErrors
 * (and translate their own constraint violations, a taken slug into a taken title, say).
 * Known errors keep their status; anything unexpected is a 500 with a generic body and a
 * correlation id that is logged with the stack, so the client never sees internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const response = context.getResponse<Response>();
    const request = context.getRequest<Request>();
    const { status, body, headers } = this.translate(exception, request);
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
    response.status(status).json(body);
  }

  private translate(exception: unknown, request: Request): Translated {
    if (exception instanceof DomainError) return { status: exception.status, body: { errors: exception.errors }, headers: exception.headers };
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    // A lost or refused database connection is transient (a restart, a failover): 503 with
    // Retry-After, whatever layer reported it; the pool reconnects once PostgreSQL is back.
    if (isDatabaseUnavailable(exception)) return unavailable();
    // A statement cancelled by its timeout: the database is busy or the work too costly right now.
    if (isStatementTimeout(exception)) {
      this.logger.warn(`Statement timeout on ${request.method} ${request.path}`);
      return { ...unavailable(), body: errorBody('database', 'took too long to answer, try again shortly') };
    }
    const prismaError = this.fromPrisma(exception);
    if (prismaError) return prismaError;
    if (isBodyParserError(exception)) return fromBodyParser(exception);

    const correlationId = randomUUID();
    this.logger.error(
      `Unhandled error ${correlationId} on ${request.method} ${request.path}`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: errorBody('server', `unexpected error (reference ${correlationId})`),
    };
  }

  private fromHttpException(exception: HttpException): Translated {
    const status: number = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'errors' in response) {
      return { status, body: response as ErrorBody };
    }
    switch (status as HttpStatus) {
      case HttpStatus.NOT_FOUND:
        return { status, body: errorBody('route', 'not found') };
      // The JSON body parser reports unparsable bodies as 400; the spec lists 422 for bad input.
      case HttpStatus.BAD_REQUEST:
        return { status: HttpStatus.UNPROCESSABLE_ENTITY, body: errorBody('body', 'is not valid JSON') };
      case HttpStatus.PAYLOAD_TOO_LARGE:
        return { status, body: errorBody('body', 'is too large') };
      case HttpStatus.UNAUTHORIZED:
        return { status, body: errorBody('token', 'is invalid') };
      case HttpStatus.FORBIDDEN:
        return { status, body: errorBody('resource', 'forbidden') };
      case HttpStatus.TOO_MANY_REQUESTS:
        return { status, body: errorBody('request', 'too many requests') };
      default: {
        const message = typeof response === 'string' ? response : exception.message;
        return { status, body: errorBody('request', message.toLowerCase()) };
      }
    }
  }

  private fromPrisma(exception: unknown): Translated | undefined {
    if (exception instanceof Prisma.PrismaClientKnownRequestError) {
      const unique = uniqueViolationFields(exception);
      if (unique) return { status: HttpStatus.CONFLICT, body: errorBody(conflictKey(unique), 'has already been taken') };
      if (exception.code === 'P2025') return { status: HttpStatus.NOT_FOUND, body: errorBody('resource', 'not found') };
    }
    return undefined;
  }
}

function unavailable(): Translated {
  return {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    body: errorBody('database', 'is unavailable, try again shortly'),
    headers: { 'Retry-After': '5' },
  };
}

/**
 * A unique violation no feature translated (a race the feature's own check lost): the one column
 * it names, or `resource` when the constraint spans several.
 */
function conflictKey(fields: string[]): string {
  return fields.length === 1 ? fields[0] : 'resource';
}

interface BodyParserError {
  type: string;
  message?: string;
  status?: number;
  statusCode?: number;
}

function isBodyParserError(exception: unknown): exception is BodyParserError {
  return typeof exception === 'object' && exception !== null && typeof (exception as BodyParserError).type === 'string'
    && typeof ((exception as BodyParserError).status ?? (exception as BodyParserError).statusCode) === 'number';
}

function fromBodyParser(error: BodyParserError): Translated {
  switch (error.type) {
    case 'entity.too.large':
      return { status: HttpStatus.PAYLOAD_TOO_LARGE, body: errorBody('body', 'is too large') };
    case 'entity.too.complex':
      return { status: error.status === 422 ? HttpStatus.UNPROCESSABLE_ENTITY : HttpStatus.PAYLOAD_TOO_LARGE, body: errorBody('body', error.message ?? 'is too complex') };
    case 'entity.parse.failed':
      return { status: HttpStatus.UNPROCESSABLE_ENTITY, body: errorBody('body', 'is not valid JSON') };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, body: errorBody('body', 'has an unsupported encoding') };
    default: {
      const status = error.status ?? error.statusCode ?? 400;
      return { status: status >= 500 ? 400 : status, body: errorBody('body', 'could not be read') };
    }
  }
}
