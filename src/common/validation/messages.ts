/**
 * Validation messages in the wording RealWorld clients show next to a field
 * (`title can't be blank`), shared by every DTO.
 */
export const Messages = {
  blank: "can't be blank",
  notString: 'must be a string',
  notStringOrNull: 'must be a string or null',
  invalidEmail: 'is invalid',
  tooLong: (max: number) => `is too long (maximum is ${max} characters)`,
  tooShort: (min: number) => `is too short (minimum is ${min} characters)`,
  notObject: 'must be an object',
  notBoolean: 'must be true or false',
  notFutureDate: 'must be an ISO 8601 date in the future',
  nulCharacter: 'must not contain NUL characters',
  notArray: 'must be an array',
  notUploadId: 'must be the id of an upload (POST /api/uploads/images) or null',
  notInteger: 'must be an integer',
  min: (min: number) => `must be greater than or equal to ${min}`,
  tooMany: (max: number) => `must have at most ${max} items`,
} as const;
