import { ApiProperty } from '@nestjs/swagger';

/** What every user shows publicly; the profile and the signed-in user both carry it. */
export class PublicUserFieldsDto {
  @ApiProperty({ example: 'jake' })
  username: string;

  @ApiProperty({ type: String, nullable: true, example: 'I work at statefarm' })
  bio: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  image: string | null;
}

export class ProfileDto extends PublicUserFieldsDto {
  @ApiProperty({ description: 'Whether the caller follows this user (false for anonymous callers)' })
  following: boolean;
}

export class ProfileResponseDto {
  @ApiProperty({ type: ProfileDto })
  profile: ProfileDto;
}
