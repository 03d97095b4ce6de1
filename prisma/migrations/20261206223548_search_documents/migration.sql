-- Search documents of generated features (`--searchable`) on the PostgreSQL engine: the `search`
-- queue writes one row per item, and keeps a deleted item's row as a tombstone (`deleted`) with
-- the version of its deletion, so that a late or repeated event can never bring it back.

-- CreateTable
CREATE TABLE "search_documents" (
    "type" TEXT NOT NULL,
    "id" INTEGER NOT NULL,
    "version" BIGINT NOT NULL,
    "title" TEXT NOT NULL DEFAULT '',
    "text" TEXT NOT NULL DEFAULT '',
    "owner" TEXT NOT NULL DEFAULT '',
    "updated_at" TIMESTAMPTZ(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    -- Weighted like the articles' vector: a match in the title counts more than one in the text.
    -- Generated, so it can never disagree with the row.
    "search_vector" tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', "title"), 'A') ||
      setweight(to_tsvector('english', "text"), 'B')
    ) STORED,

    CONSTRAINT "search_documents_pkey" PRIMARY KEY ("type","id")
);

-- CreateIndex
CREATE INDEX "search_documents_search_vector_idx" ON "search_documents" USING GIN ("search_vector");
