import { Module } from '@nestjs/common';
import { PasswordHasher } from '@/common/auth/password-hasher';
import { UserAdminService } from './user-admin.service';
import { UsersRepository } from './users.repository';

/** Account administration (the command line), without the api's controllers and mails. */
@Module({
  providers: [UserAdminService, UsersRepository, PasswordHasher],
  exports: [UserAdminService],
})
export class UsersAdminModule {}
