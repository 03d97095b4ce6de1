import { HttpStatus, UnprocessableEntityException, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ErrorBody } from '@/common/errors/error-body';

/**
 * Flattens class-validator's tree into RealWorld errors keyed by the innermost field name:
 * `{"article": {"title": ...}}` failing becomes `{"errors": {"title": ["can't be blank"]}}`.
 */
export function toErrorBody(errors: ValidationError[]): ErrorBody {
  const flat: Record<string, string[]> = {};
  const visit = (error: ValidationError, parentKey?: string): void => {
    const key = /^\d+$/.test(error.property) && parentKey ? parentKey : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      const messages = (flat[key] ??= []);
      if (!messages.includes(message)) messages.push(message);
    }
    for (const child of error.children ?? []) visit(child, key);
  };
  errors.forEach((error) => visit(error));
  return { errors: flat };
}

/**
 * The one validation pipe: strips unknown fields (so they never reach the database), converts
 * query strings to the declared types, and answers 422 in the RealWorld shape.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new UnprocessableEntityException(toErrorBody(errors)),
  });
}
