import type { UserResponseDto } from './dto/user-response.dto';
import type { UserRow } from './users.repository';

export function toUserResponse(row: UserRow, token: string): UserResponseDto {
  return { user: { email: row.email, token, username: row.username, bio: row.bio, image: row.image } };
}
