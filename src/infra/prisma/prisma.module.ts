import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { ReadReplicas } from './read-replicas';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({
  providers: [PrismaService, TransactionRunner, ReadReplicas],
  exports: [PrismaService, TransactionRunner, ReadReplicas],
})
export class PrismaModule {}
