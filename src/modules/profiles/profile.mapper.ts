import type { ProfileDto } from './dto/profile-response.dto';

/** The public part of a user, as every profile, author and commenter is shown. */
export interface PublicUser {
  id: number;
  username: string;
  bio: string | null;
  image: string | null;
}

export function toProfile(user: PublicUser, following: boolean): ProfileDto {
  return { username: user.username, bio: user.bio, image: user.image, following };
}
