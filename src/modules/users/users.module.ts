import { Module } from '@nestjs/common';
import { UploadsModule } from '@/modules/uploads/uploads.module';
import { AccountsModule } from './accounts.module';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [AccountsModule, UploadsModule],
  controllers: [UsersController],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
