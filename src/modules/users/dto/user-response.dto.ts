import { ApiProperty } from '@nestjs/swagger';
import { PublicUserFieldsDto } from '@/modules/profiles/dto/profile-response.dto';

export class UserDto extends PublicUserFieldsDto {
  @ApiProperty({ example: 'jake@jake.jake' })
  email: string;

  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' })
  token: string;
}

export class UserResponseDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;
}
