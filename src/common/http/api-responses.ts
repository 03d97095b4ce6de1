import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const DESCRIPTIONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden. The error key names the resource (article, comment)',
  404: 'Not Found. The error key names the resource (article, profile, comment)',
  409: 'Conflict: the resource already exists',
  422: 'Invalid input. Each key is a field, each message says what is wrong',
  429: 'Too many writes of this kind by this user in the last hour (see Retry-After)',
};

/** Documents error statuses, all answered in the RealWorld `GenericErrorModel` shape. */
export function ApiErrorResponses(...statuses: Array<401 | 403 | 404 | 409 | 422 | 429>): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], schema: { $ref: '#/components/schemas/GenericErrorModel' } }),
    ),
  );
}
