import { Injectable } from '@nestjs/common';
import { Prisma } from '@/generated/prisma/client';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';
import type { UploadPurpose, VariantRecord } from './upload.types';

export const UPLOAD_SELECT = {
  id: true,
  ownerId: true,
  purpose: true,
  status: true,
  failureReason: true,
  mimeType: true,
  originalKey: true,
  originalBytes: true,
  variants: true,
  createdAt: true,
  processedAt: true,
} satisfies Prisma.UploadSelect;

type UploadPayload = Prisma.UploadGetPayload<{ select: typeof UPLOAD_SELECT }>;
export type UploadRow = Omit<UploadPayload, 'variants'> & { variants: VariantRecord[] | null };

/** What one user has uploaded lately and holds in storage, for the limits. */
export interface UploadUsage {
  lastHour: number;
  oldestInLastHour: Date | null;
  storedBytes: number;
}

/** An upload nobody uses any more, deleted from the table; its files are the caller's to delete. */
export interface CollectedUpload {
  id: string;
  originalKey: string | null;
  files: string[];
}

@Injectable()
export class UploadsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(id: string, db: Db = this.prisma): Promise<UploadRow | null> {
    return toRow(await db.upload.findUnique({ where: { id }, select: UPLOAD_SELECT }));
  }

  /**
   * Serialises one user's uploads for the rest of the transaction, so that two concurrent uploads
   * cannot both pass the hourly limit or the quota.
   */
  async lockOwner(ownerId: number, db: Db): Promise<void> {
    await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('uploads'), ${ownerId}::int)`;
  }

  async usage(ownerId: number, since: Date, db: Db = this.prisma): Promise<UploadUsage> {
    const [row] = await db.$queryRaw<Array<{ last_hour: number; oldest: Date | null; stored: bigint | null }>>`
      SELECT count(*) FILTER (WHERE created_at > ${since})::int AS last_hour,
             min(created_at) FILTER (WHERE created_at > ${since}) AS oldest,
             sum(stored_bytes)::bigint AS stored
      FROM uploads WHERE owner_id = ${ownerId}`;
    return { lastHour: row.last_hour, oldestInLastHour: row.oldest, storedBytes: Number(row.stored ?? 0) };
  }

  async create(
    data: { id: string; ownerId: number; purpose: UploadPurpose; mimeType: string; originalKey: string; originalBytes: number },
    db: Db,
  ): Promise<UploadRow> {
    return toRow(await db.upload.create({ data: { ...data, storedBytes: data.originalBytes }, select: UPLOAD_SELECT }))!;
  }

  /** Records the variants; false when the upload is gone or was finished already (a repeated job). */
  async markReady(id: string, variants: VariantRecord[]): Promise<boolean> {
    const variantBytes = variants.reduce((sum, variant) => sum + variant.bytes, 0);
    const { count } = await this.prisma.upload.updateMany({
      where: { id, status: 'pending' },
      data: {
        status: 'ready',
        variants: variants as unknown as Prisma.InputJsonArray,
        storedBytes: { increment: variantBytes },
        processedAt: new Date(),
      },
    });
    return count > 0;
  }

  /** The upload failed for good: its original is deleted (and no longer counts against the quota). */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.prisma.upload.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'failed', failureReason: reason, originalKey: null, storedBytes: 0, processedAt: new Date() },
    });
  }

  /** Processed uploads whose original is still stored. */
  processedWithOriginal(limit: number): Promise<Array<{ id: string; originalKey: string | null; originalBytes: number }>> {
    return this.prisma.upload.findMany({
      where: { status: { in: ['ready', 'failed'] }, originalKey: { not: null } },
      select: { id: true, originalKey: true, originalBytes: true },
      take: limit,
    });
  }

  async forgetOriginal(id: string, originalBytes: number): Promise<void> {
    await this.prisma.upload.updateMany({
      where: { id, originalKey: { not: null } },
      data: { originalKey: null, storedBytes: { decrement: originalBytes } },
    });
  }

  /**
   * Deletes finished uploads created before `before` that no user has as avatar and no article as
   * cover, and returns the storage they held. The reference check and the delete are one
   * statement. A variant file is returned only if no remaining upload has the same file (the
   * same image uploaded twice gives the same content-hash names).
   */
  async deleteUnused(before: Date, limit: number): Promise<CollectedUpload[]> {
    return this.prisma.$transaction(async (tx) => {
      const deleted = await tx.$queryRaw<Array<{ id: string; original_key: string | null; files: string[] | null }>>`
        DELETE FROM uploads u
        WHERE u.id IN (
          SELECT id FROM uploads
          WHERE status IN ('ready', 'failed') AND created_at < ${before}
          ORDER BY created_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
          AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_upload_id = u.id)
          AND NOT EXISTS (SELECT 1 FROM articles WHERE cover_upload_id = u.id)
        RETURNING u.id::text AS id, u.original_key,
          (SELECT array_agg(v->>'file') FROM jsonb_array_elements(coalesce(u.variants, '[]'::jsonb)) v) AS files`;
      const files = deleted.flatMap((row) => row.files ?? []);
      const stillUsed = files.length === 0 ? [] : await tx.$queryRaw<Array<{ file: string }>>`
        SELECT DISTINCT v->>'file' AS file FROM uploads, jsonb_array_elements(coalesce(variants, '[]'::jsonb)) v
        WHERE v->>'file' = ANY(${files}::text[])`;
      const kept = new Set(stillUsed.map((row) => row.file));
      return deleted.map((row) => ({ id: row.id, originalKey: row.original_key, files: (row.files ?? []).filter((file) => !kept.has(file)) }));
    });
  }
}

function toRow(row: UploadPayload | null): UploadRow | null {
  return row && { ...row, variants: (row.variants as unknown as VariantRecord[] | null) ?? null };
}
