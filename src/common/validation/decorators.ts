import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsDefined,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  ValidateBy,
  isISO8601,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Messages } from './messages';

/** PostgreSQL text cannot hold NUL characters; refusing them here keeps them from becoming a 500. */
const NUL = String.fromCharCode(0);
const noNul = (options?: { each: boolean }): PropertyDecorator =>
  ValidateBy(
    { name: 'noNulCharacters', validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes(NUL) } },
    { ...options, message: Messages.nulCharacter },
  );

/** Refuses strings holding NUL characters. */
export const NoNulCharacters = (): PropertyDecorator => noNul();

const trim = Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** A required, trimmed, non-blank string of at most `max` characters. */
export function RequiredText(max: number): PropertyDecorator {
  return applyDecorators(
    trim,
    IsDefined({ message: Messages.blank }),
    IsString({ message: Messages.notString }),
    IsNotEmpty({ message: Messages.blank }),
    MaxLength(max, { message: Messages.tooLong(max) }),
    noNul(),
  );
}

/**
 * A field that may be left out; when present (even as `null`) it must be valid. `IsOptional`
 * would also let `null` through, which for these fields means nothing sensible.
 */
export function Omittable(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: Messages.blank }),
  );
}

/** An optional string that, when given, must be non-blank and at most `max` characters. */
export function OptionalText(max: number): PropertyDecorator {
  return applyDecorators(
    trim,
    Omittable(),
    IsString({ message: Messages.notString }),
    IsNotEmpty({ message: Messages.blank }),
    MaxLength(max, { message: Messages.tooLong(max) }),
    noNul(),
  );
}

/** An optional string that may also be `null` (which clears it); an empty string clears it too. */
export function NullableText(max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() || null : value)),
    ValidateIf((_object, value) => value !== null && value !== undefined),
    IsString({ message: Messages.notStringOrNull }),
    MaxLength(max, { message: Messages.tooLong(max) }),
    noNul(),
  );
}

/** An optional query-string value: one string (not repeated), at most `max` characters. */
export function OptionalQueryText(max: number): PropertyDecorator {
  return applyDecorators(IsOptional(), IsString({ message: Messages.notString }), MaxLength(max, { message: Messages.tooLong(max) }), noNul());
}

/**
 * An optional whole number from the query string, within bounds. Decorators are listed in the
 * order they are checked (the pipe stops at the first failure), hence one composed decorator.
 */
export function OptionalQueryInteger(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt({ message: Messages.notInteger }),
    Min(min, { message: Messages.min(min) }),
    Max(max, { message: `must be less than or equal to ${max}` }),
  );
}

/** An optional upload id (a UUID); `null` means none. */
export function OptionalUploadId(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object, value) => value !== null && value !== undefined),
    IsUUID('all', { message: Messages.notUploadId }),
  );
}

/** An optional ISO 8601 date-time that must lie in the future. */
export function OptionalFutureDate(): PropertyDecorator {
  return applyDecorators(
    Omittable(),
    ValidateBy(
      {
        name: 'futureDate',
        validator: {
          validate: (value: unknown) =>
            typeof value === 'string' && isISO8601(value, { strict: true }) && new Date(value).getTime() > Date.now(),
        },
      },
      { message: Messages.notFutureDate },
    ),
  );
}

/** An optional list of distinct, trimmed, non-blank strings. */
export function OptionalTextList(maxItems: number, maxLength: number): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    IsArray({ message: Messages.notArray }),
    ArrayMaxSize(maxItems, { message: Messages.tooMany(maxItems) }),
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map((item: unknown) => (typeof item === 'string' ? item.trim() : item)) : value,
    ),
    IsString({ each: true, message: Messages.notString }),
    IsNotEmpty({ each: true, message: Messages.blank }),
    MaxLength(maxLength, { each: true, message: Messages.tooLong(maxLength) }),
    noNul({ each: true }),
  );
}

/**
 * The `{"article": {...}}` envelope: the inner object must be present, must be an object,
 * and is validated as `type` (without `@ValidateNested` and `@Type` it would never be checked).
 */
export function Envelope(type: () => new () => object): PropertyDecorator {
  return applyDecorators(
    IsDefined({ message: Messages.blank }),
    IsObject({ message: Messages.notObject }),
    ValidateNested(),
    Type(type),
  );
}
