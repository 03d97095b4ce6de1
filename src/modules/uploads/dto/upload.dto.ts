import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { UPLOAD_PURPOSES, type UploadPurpose } from '../upload.types';

/** The form fields next to the file. */
export class UploadImageFieldsDto {
  @ApiProperty({ enum: UPLOAD_PURPOSES, description: 'avatar: 128 and 256 px squares; cover: 1200 px wide and a 400 px thumbnail' })
  @IsIn(UPLOAD_PURPOSES, { message: `must be one of: ${UPLOAD_PURPOSES.join(', ')}` })
  purpose: UploadPurpose;
}

export class ImageVariantDto {
  @ApiProperty({ example: 'avatar-256', description: 'avatar-256, avatar-128, cover-1200 or cover-400' })
  name: string;

  @ApiProperty({ enum: ['webp', 'jpeg'] })
  format: 'webp' | 'jpeg';

  @ApiProperty({ type: 'integer', example: 256 })
  width: number;

  @ApiProperty({ type: 'integer', example: 256 })
  height: number;

  @ApiProperty({ example: 'http://localhost:3000/media/3f2a9c0d1e4b5a6f7d8e9c0b1a2f3e4d5c6b7a8f.webp' })
  url: string;
}

export class UploadDto {
  @ApiProperty({ format: 'uuid', description: 'Give it as `image` to PUT /api/user (avatar) or as `coverImage` to articles (cover)' })
  id: string;

  @ApiProperty({ enum: UPLOAD_PURPOSES })
  purpose: UploadPurpose;

  @ApiProperty({ enum: ['pending', 'ready', 'failed'], description: 'pending until the worker has processed the image' })
  status: 'pending' | 'ready' | 'failed';

  @ApiPropertyOptional({ example: 'could not be decoded (corrupt or truncated file)', description: 'Why processing failed (status failed only)' })
  reason?: string;

  @ApiPropertyOptional({ type: [ImageVariantDto], description: 'The re-encoded images (status ready only): each size as WebP and as a JPEG fallback' })
  variants?: ImageVariantDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class UploadResponseDto {
  @ApiProperty({ type: UploadDto })
  upload: UploadDto;
}

/** Conduit extension: an article's cover image, in the sizes the worker made. */
export class CoverImageDto {
  @ApiProperty({ description: '1200 px wide, WebP' })
  url: string;

  @ApiProperty({ description: '1200 px wide, JPEG' })
  fallbackUrl: string;

  @ApiProperty({ description: '400 px wide, WebP' })
  thumbnailUrl: string;

  @ApiProperty({ description: '400 px wide, JPEG' })
  thumbnailFallbackUrl: string;

  @ApiProperty({ type: 'integer', description: 'Width of the large image' })
  width: number;

  @ApiProperty({ type: 'integer', description: 'Height of the large image' })
  height: number;
}
