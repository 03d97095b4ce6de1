-- CreateEnum
CREATE TYPE "upload_purpose" AS ENUM ('avatar', 'cover');

-- CreateEnum
CREATE TYPE "upload_status" AS ENUM ('pending', 'ready', 'failed');

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "avatar_upload_id" UUID;

-- AlterTable
ALTER TABLE "articles" ADD COLUMN     "cover_image" JSONB,
ADD COLUMN     "cover_upload_id" UUID;

-- CreateTable
CREATE TABLE "uploads" (
    "id" UUID NOT NULL,
    "owner_id" INTEGER NOT NULL,
    "purpose" "upload_purpose" NOT NULL,
    "status" "upload_status" NOT NULL DEFAULT 'pending',
    "failure_reason" TEXT,
    "mime_type" TEXT NOT NULL,
    "original_key" TEXT,
    "original_bytes" INTEGER NOT NULL,
    "variants" JSONB,
    "stored_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "uploads_owner_id_created_at_idx" ON "uploads"("owner_id", "created_at");

-- CreateIndex
CREATE INDEX "uploads_status_created_at_idx" ON "uploads"("status", "created_at");

-- CreateIndex
CREATE INDEX "users_avatar_upload_id_idx" ON "users"("avatar_upload_id");

-- CreateIndex
CREATE INDEX "articles_cover_upload_id_idx" ON "articles"("cover_upload_id");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_avatar_upload_id_fkey" FOREIGN KEY ("avatar_upload_id") REFERENCES "uploads"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "articles" ADD CONSTRAINT "articles_cover_upload_id_fkey" FOREIGN KEY ("cover_upload_id") REFERENCES "uploads"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
