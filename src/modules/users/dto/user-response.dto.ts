import { ApiProperty } from '@nestjs/swagger';

export class UserDto {
  @ApiProperty({ example: 'jake@jake.jake' })
  email: string;

  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' })
  token: string;

  @ApiProperty({ example: 'jake' })
  username: string;

  @ApiProperty({ type: String, nullable: true, example: 'I work at statefarm' })
  bio: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  image: string | null;
}

export class UserResponseDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;
}
