import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsEmail, IsNotEmpty, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { Envelope, NoNulCharacters, NullableText, Omittable, OptionalText, RequiredText } from '@/common/validation/decorators';
import { Messages } from '@/common/validation/messages';
import { imageUrlProblem } from '@/common/validation/public-url';
import { isUploadId } from '@/modules/uploads/upload-id';

export const USERNAME_MAX = 40;
export const EMAIL_MAX = 254;
/** argon2 accepts any length; the bound keeps hashing cost (and a denial of service) in check. */
export const PASSWORD_MAX = 256;
/** OWASP ASVS 6.2.1: at least 8 characters. Checked on new passwords only, so older accounts still log in. */
export const PASSWORD_MIN = 8;
export const BIO_MAX = 2_000;
export const IMAGE_MAX = 2_048;

/** Letters, digits, `_`, `-` and `.`: usernames appear in URLs and mentions. */
const USERNAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
const USERNAME_RULE = 'may contain only letters, digits, "_", "-" and "."';
/**
 * The scripts whose letters look alike ("а" is Cyrillic, "a" Latin, "ο" Greek): a name may use
 * one of them, not a mix, so that "аdmin" cannot pass for "admin". Names wholly in another script
 * stay possible; compatibility forms (full-width, ligatures) are folded by NFKC before this check.
 */
const CONFUSABLE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u];
const MIXED_SCRIPTS_RULE = 'must not mix Latin, Greek and Cyrillic letters';

function mixesConfusableScripts(value: unknown): boolean {
  return typeof value === 'string' && CONFUSABLE_SCRIPTS.filter((script) => script.test(value)).length > 1;
}

/** NFKC folds compatibility characters (full-width "ｊａｋｅ" is "jake"), so they cannot make a look-alike name. */
const normaliseUsername = Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFKC') : value));

const normaliseEmail = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value,
);

function Email(required: boolean): PropertyDecorator {
  return (target, key) => {
    normaliseEmail(target, key);
    (required ? IsDefined({ message: Messages.blank }) : Omittable())(target, key);
    IsString({ message: Messages.notString })(target, key);
    IsNotEmpty({ message: Messages.blank })(target, key);
    MaxLength(EMAIL_MAX, { message: Messages.tooLong(EMAIL_MAX) })(target, key);
    IsEmail({}, { message: Messages.invalidEmail })(target, key);
  };
}

/** `kind`: a `new` password must be at least PASSWORD_MIN long; an `existing` one (login, current password) is taken as it is. */
function Password(required: boolean, kind: 'new' | 'existing'): PropertyDecorator {
  return (target, key) => {
    (required ? IsDefined({ message: Messages.blank }) : Omittable())(target, key);
    IsString({ message: Messages.notString })(target, key);
    IsNotEmpty({ message: Messages.blank })(target, key);
    if (kind === 'new') MinLength(PASSWORD_MIN, { message: Messages.tooShort(PASSWORD_MIN) })(target, key);
    MaxLength(PASSWORD_MAX, { message: Messages.tooLong(PASSWORD_MAX) })(target, key);
    NoNulCharacters()(target, key);
  };
}

function Username(required: boolean): PropertyDecorator {
  return (target, key) => {
    (required ? RequiredText(USERNAME_MAX) : OptionalText(USERNAME_MAX))(target, key);
    normaliseUsername(target, key);
    Matches(USERNAME_PATTERN, { message: USERNAME_RULE })(target, key);
    ValidateBy({ name: 'singleScript', validator: { validate: (value: unknown) => !mixesConfusableScripts(value) } }, { message: MIXED_SCRIPTS_RULE })(target, key);
  };
}

/** An avatar: an http(s) URL that points at no internal address (see imageUrlProblem), or an upload id. */
const ImageReference = (): PropertyDecorator =>
  ValidateBy({
    name: 'imageReference',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || isUploadId(value) || imageUrlProblem(value) === undefined,
      defaultMessage: (args) => (typeof args?.value === 'string' ? imageUrlProblem(args.value) : undefined) ?? 'is invalid',
    },
  });

export class LoginUserDto {
  @ApiProperty({ example: 'jake@jake.jake' })
  @Email(true)
  email: string;

  @ApiProperty({ example: 'jakejake', format: 'password' })
  @Password(true, 'existing')
  password: string;
}

export class LoginUserRequestDto {
  @ApiProperty({ type: LoginUserDto })
  @Envelope(() => LoginUserDto)
  user: LoginUserDto;
}

export class NewUserDto {
  @ApiProperty({ example: 'jake', maxLength: USERNAME_MAX })
  @Username(true)
  username: string;

  @ApiProperty({ example: 'jake@jake.jake', maxLength: EMAIL_MAX })
  @Email(true)
  email: string;

  @ApiProperty({ example: 'jakejake', format: 'password', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @Password(true, 'new')
  password: string;
}

/** What `cli user:reset-password` checks: the rules of a new password. */
export class PasswordResetDto {
  @Email(true)
  email: string;

  @Password(true, 'new')
  password: string;
}

export class NewUserRequestDto {
  @ApiProperty({ type: NewUserDto })
  @Envelope(() => NewUserDto)
  user: NewUserDto;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'jake@jake.jake', description: 'Needs `currentPassword` when it differs from the current email (case aside). Retires every token issued before; the answer carries a new one.' })
  @Email(false)
  email?: string;

  @ApiPropertyOptional({ format: 'password', minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, description: 'Needs `currentPassword`. Retires every token issued before; the answer carries a new one.' })
  @Password(false, 'new')
  password?: string;

  /** Conduit extension: the password in use, required to change `email` or `password`. */
  @ApiPropertyOptional({
    format: 'password',
    description:
      'Conduit extension: the current password, required (422 when missing or wrong) to change `email` or `password`. The same email in another case is no change.',
  })
  @Password(false, 'existing')
  currentPassword?: string;

  @ApiPropertyOptional({ example: 'jake' })
  @Username(false)
  username?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'I work at statefarm', description: '`null` clears it' })
  @NullableText(BIO_MAX)
  bio?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://i.stack.imgur.com/xHWG8.jpg',
    description:
      'An http(s) URL (none with credentials, nor pointing at localhost, a private, link-local or cloud metadata address), or (Conduit extension) the id of a processed avatar upload (POST /api/uploads/images), which becomes the URL of its 256 px image. `null` clears it.',
  })
  @NullableText(IMAGE_MAX)
  @ImageReference()
  image?: string | null;

  /** Conduit extension: mails about new followers, comments and followed authors' articles (default true). */
  @ApiPropertyOptional({ description: 'Conduit extension: receive notification mails (new follower, new comment, new article by a followed author). Default true.' })
  @Omittable()
  @IsBoolean({ message: Messages.notBoolean })
  emailNotifications?: boolean;

  /** Conduit extension: the daily digest of new articles in the feed (default false). */
  @ApiPropertyOptional({ description: 'Conduit extension: receive the daily digest of new articles in your feed. Default false.' })
  @Omittable()
  @IsBoolean({ message: Messages.notBoolean })
  digestEmails?: boolean;
}

export class UpdateUserRequestDto {
  @ApiProperty({ type: UpdateUserDto, description: 'At least one field is required.' })
  @Envelope(() => UpdateUserDto)
  user: UpdateUserDto;
}
