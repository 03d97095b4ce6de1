import { Global, Module } from '@nestjs/common';
import { MailTransport } from './mail-transport';

/** The outgoing mail transport (SMTP or a local folder), for the processors that send mail. */
@Global()
@Module({
  providers: [MailTransport],
  exports: [MailTransport],
})
export class MailModule {}
