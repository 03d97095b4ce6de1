import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsEmail, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { Envelope, NoNulCharacters, NullableText, Omittable, OptionalText, RequiredText } from '@/common/validation/decorators';
import { Messages } from '@/common/validation/messages';

export const USERNAME_MAX = 40;
export const EMAIL_MAX = 254;
/** argon2 accepts any length; the bound keeps hashing cost (and a denial of service) in check. */
export const PASSWORD_MAX = 256;
export const BIO_MAX = 2_000;
export const IMAGE_MAX = 2_048;

/** Letters, digits, `_`, `-` and `.`: usernames appear in URLs and mentions. */
const USERNAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
const USERNAME_RULE = 'may contain only letters, digits, "_", "-" and "."';

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

function Password(required: boolean): PropertyDecorator {
  return (target, key) => {
    (required ? IsDefined({ message: Messages.blank }) : Omittable())(target, key);
    IsString({ message: Messages.notString })(target, key);
    IsNotEmpty({ message: Messages.blank })(target, key);
    MaxLength(PASSWORD_MAX, { message: Messages.tooLong(PASSWORD_MAX) })(target, key);
    NoNulCharacters()(target, key);
  };
}

function Username(required: boolean): PropertyDecorator {
  return (target, key) => {
    (required ? RequiredText(USERNAME_MAX) : OptionalText(USERNAME_MAX))(target, key);
    Matches(USERNAME_PATTERN, { message: USERNAME_RULE })(target, key);
  };
}

export class LoginUserDto {
  @ApiProperty({ example: 'jake@jake.jake' })
  @Email(true)
  email: string;

  @ApiProperty({ example: 'jakejake', format: 'password' })
  @Password(true)
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

  @ApiProperty({ example: 'jakejake', format: 'password', maxLength: PASSWORD_MAX })
  @Password(true)
  password: string;
}

export class NewUserRequestDto {
  @ApiProperty({ type: NewUserDto })
  @Envelope(() => NewUserDto)
  user: NewUserDto;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'jake@jake.jake' })
  @Email(false)
  email?: string;

  @ApiPropertyOptional({ format: 'password' })
  @Password(false)
  password?: string;

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
    description: 'A URL, or (Conduit extension) the id of a processed avatar upload (POST /api/uploads/images), which becomes the URL of its 256 px image. `null` clears it.',
  })
  @NullableText(IMAGE_MAX)
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
