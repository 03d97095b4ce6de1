import type { UploadResponseDto } from './dto/upload.dto';
import type { CoverImage, VariantRecord } from './upload.types';
import type { UploadRow } from './uploads.repository';

export function toUploadResponse(row: UploadRow): UploadResponseDto {
  return {
    upload: {
      id: row.id,
      purpose: row.purpose,
      status: row.status,
      ...(row.status === 'failed' && { reason: row.failureReason ?? 'could not be processed' }),
      ...(row.status === 'ready' &&
        row.variants && {
          variants: row.variants.map(({ name, format, width, height, url }) => ({ name, format, width, height, url })),
        }),
      createdAt: row.createdAt.toISOString(),
    },
  };
}

function variant(variants: VariantRecord[], name: string, format: VariantRecord['format']): VariantRecord {
  const found = variants.find((candidate) => candidate.name === name && candidate.format === format);
  if (!found) throw new Error(`upload has no ${name} ${format} variant`);
  return found;
}

/** What `image` becomes when an avatar upload is used: the 256 px WebP. */
export function avatarUrl(variants: VariantRecord[]): string {
  return variant(variants, 'avatar-256', 'webp').url;
}

export function coverImage(variants: VariantRecord[]): CoverImage {
  const large = variant(variants, 'cover-1200', 'webp');
  return {
    url: large.url,
    fallbackUrl: variant(variants, 'cover-1200', 'jpeg').url,
    thumbnailUrl: variant(variants, 'cover-400', 'webp').url,
    thumbnailFallbackUrl: variant(variants, 'cover-400', 'jpeg').url,
    width: large.width,
    height: large.height,
  };
}
