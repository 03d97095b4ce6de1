import { Injectable } from '@nestjs/common';
import type { Db } from './db';
import { PrismaService } from './prisma.service';

/**
 * Opens a transaction for a service, so that a change and the outbox events it causes commit
 * together, without services touching Prisma themselves.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { maxWait: 5_000, timeout: 15_000 });
  }
}
