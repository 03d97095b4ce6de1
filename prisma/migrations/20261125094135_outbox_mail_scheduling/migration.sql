-- DropIndex
DROP INDEX "articles_created_at_id_idx";

-- DropIndex
DROP INDEX "articles_author_id_created_at_id_idx";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "digest_emails" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "email_notifications" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "articles" ADD COLUMN     "publish_at" TIMESTAMPTZ(3),
ADD COLUMN     "published_at" TIMESTAMPTZ(3);

-- Every article written before scheduling existed was published when it was created.
UPDATE "articles" SET "published_at" = "created_at" WHERE "published_at" IS NULL;

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" BIGSERIAL NOT NULL,
    "queue" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "available_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatched_at" TIMESTAMPTZ(3),
    "dispatches" INTEGER NOT NULL DEFAULT 0,
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mail_deliveries" (
    "message_id" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mail_deliveries_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "outbox_events_completed_at_available_at_idx" ON "outbox_events"("completed_at", "available_at");

-- CreateIndex
CREATE INDEX "articles_published_at_id_idx" ON "articles"("published_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "articles_author_id_published_at_id_idx" ON "articles"("author_id", "published_at" DESC, "id" DESC);
