/** Shapes shared by the uploads feature's api side, its worker side, and the features that use uploads. */
export type UploadPurpose = 'avatar' | 'cover';
export const UPLOAD_PURPOSES = ['avatar', 'cover'] as const satisfies readonly UploadPurpose[];

/** One re-encoded file, as stored in `uploads.variants`. */
export interface VariantRecord {
  /** The size: avatar-256, avatar-128, cover-1200, cover-400. */
  name: string;
  format: 'webp' | 'jpeg';
  width: number;
  height: number;
  bytes: number;
  /** Storage name in the `media` area: a content hash and an extension. */
  file: string;
  url: string;
}

/** The cover image as articles show it (copied onto the article when set). */
export interface CoverImage {
  url: string;
  fallbackUrl: string;
  thumbnailUrl: string;
  thumbnailFallbackUrl: string;
  width: number;
  height: number;
}
