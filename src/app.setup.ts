import { RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { Environment } from '@/config/environment';
import { AllExceptionsFilter } from '@/infra/http/all-exceptions.filter';
import { errorBody } from '@/common/errors/error-body';
import { bodyShapeMiddleware, verifyBodyShape } from '@/common/validation/body-shape';
import { createValidationPipe } from '@/common/validation/validation.pipe';
import { requestIdMiddleware } from '@/infra/logging/request-context';
import { mountMetrics } from '@/infra/metrics/http-metrics';
import { mountQueueDashboard } from '@/infra/queue/queue-dashboard';
import { MEDIA_PATH, mountMedia } from '@/infra/storage/media-route';

export const API_PREFIX = 'api';

/**
 * The Content-Security-Policy of the HTML pages: scripts only from this origin (both pages load
 * theirs as files), styles also inline (Swagger UI and Bull Board put <style> blocks and style
 * attributes in their markup), images and fonts also as data: URLs (their icons). No
 * upgrade-insecure-requests: it would break the pages on a plain-HTTP development server.
 */
const PAGE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Everything about the HTTP application that is not a route: shared by `main.ts` and the e2e
 * tests, so that tests exercise the same body limits, CORS, validation and error shape.
 */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', config.get('TRUST_PROXY', { infer: true }));
  app.use(requestIdMiddleware);
  mountMetrics(app);
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  // Security headers. The JSON API gets helmet's strict defaults (its answers are fetched with
  // CORS, so it allows cross-origin reads); the pages (Swagger UI, the queue dashboard) get a
  // policy of their own, checked in a real browser (test/e2e/browser-pages.e2e-spec.ts).
  const apiHeaders = helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } });
  const pageHeaders = helmet({ contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP }, crossOriginEmbedderPolicy: false });
  // Images under /media/ get the API's strict headers too (embeddable from any origin, no scripts).
  app.use((request: Request, response: Response, next: NextFunction) =>
    (request.path.startsWith(`/${API_PREFIX}/`) || request.path.startsWith(`${MEDIA_PATH}/`) ? apiHeaders : pageHeaders)(request, response, next),
  );
  // Bodies are bounded in structure as well as size, before parsing and validation (see body-shape.ts).
  const bodyShape = {
    maxKeys: config.get('BODY_MAX_KEYS', { infer: true }),
    maxDepth: config.get('BODY_MAX_DEPTH', { infer: true }),
    maxArrayLength: config.get('BODY_MAX_ARRAY_LENGTH', { infer: true }),
  };
  // Nest reserves `verify` for its rawBody option, which this application does not use.
  const jsonOptions = { limit: config.get('BODY_LIMIT', { infer: true }), verify: verifyBodyShape(bodyShape) };
  app.useBodyParser('json', jsonOptions);
  app.use(bodyShapeMiddleware(bodyShape));
  // No slug or username can hold a NUL character (PostgreSQL text cannot), so such a path names
  // nothing; answering here keeps it from reaching the database as an error.
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (/%00/.test(request.path)) {
      response.status(404).json(errorBody('resource', 'not found'));
      return;
    }
    next();
  });
  const origins = config.get('CORS_ORIGINS', { infer: true });
  app.enableCors({
    origin: origins.includes('*') ? true : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-requested-with', 'if-none-match', 'x-request-id'],
    exposedHeaders: ['etag', 'retry-after', 'x-request-id'],
    maxAge: 86_400,
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  mountQueueDashboard(app);
  mountMedia(app);
  setUpSwagger(app);
}

export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Conduit API')
    .setDescription(
      'The RealWorld "Conduit" API (spec 2.0.0) under `/api`, with Conduit\'s documented decisions where the spec is silent. ' +
        'Authorize once with `Token <jwt>` (from login or registration) to try every call.',
    )
    .setVersion('2.0.0')
    .setLicense('MIT License', 'https://opensource.org/licenses/MIT')
    .addApiKey(
      { type: 'apiKey', name: 'Authorization', in: 'header', description: 'Enter `Token <jwt>`, the token from /api/users/login.' },
      'Token',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    GenericErrorModel: {
      type: 'object',
      required: ['errors'],
      properties: { errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
      example: { errors: { title: ["can't be blank"] } },
    },
  };
  return document;
}

function setUpSwagger(app: NestExpressApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    customSiteTitle: 'Conduit API',
  });
}
