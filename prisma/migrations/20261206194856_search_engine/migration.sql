-- Search: PostgreSQL full-text search over articles (the default engine) and the versions and
-- outbox events that keep an Elasticsearch index in step (the optional engine).

-- One sequence for every article change, so that a later change always has a larger version:
-- Elasticsearch documents are written with it as their external version.
CREATE SEQUENCE "article_search_version_seq";

-- AlterTable
ALTER TABLE "articles" ADD COLUMN "tags_text" TEXT NOT NULL DEFAULT '',
ADD COLUMN "search_version" BIGINT NOT NULL DEFAULT nextval('article_search_version_seq'::regclass);

UPDATE "articles" AS a SET "tags_text" = coalesce((
  SELECT string_agg(t."name", ' ' ORDER BY t."name")
  FROM "article_tags" AS at JOIN "tags" AS t ON t."id" = at."tag_id"
  WHERE at."article_id" = a."id"), '');

-- Weighted: a match in the title or a tag counts more than one in the description, which counts
-- more than one in the body. Generated, so it can never disagree with the row.
ALTER TABLE "articles" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', "title"), 'A') ||
  setweight(to_tsvector('english', "tags_text"), 'B') ||
  setweight(to_tsvector('english', "description"), 'B') ||
  setweight(to_tsvector('english', "body"), 'C')
) STORED;

-- CreateIndex
CREATE INDEX "articles_search_vector_idx" ON "articles" USING GIN ("search_vector");

-- tags_text follows article_tags (statement-level: one update per statement, however many rows).
CREATE FUNCTION "article_tags_refresh_tags_text"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "articles" AS a SET "tags_text" = coalesce((
    SELECT string_agg(t."name", ' ' ORDER BY t."name")
    FROM "article_tags" AS at JOIN "tags" AS t ON t."id" = at."tag_id"
    WHERE at."article_id" = a."id"), '')
  WHERE a."id" IN (SELECT DISTINCT "article_id" FROM "changed_links");
  RETURN NULL;
END $$;

CREATE TRIGGER "article_tags_inserted_refresh_tags_text" AFTER INSERT ON "article_tags"
  REFERENCING NEW TABLE AS "changed_links" FOR EACH STATEMENT EXECUTE FUNCTION "article_tags_refresh_tags_text"();
CREATE TRIGGER "article_tags_deleted_refresh_tags_text" AFTER DELETE ON "article_tags"
  REFERENCING OLD TABLE AS "changed_links" FOR EACH STATEMENT EXECUTE FUNCTION "article_tags_refresh_tags_text"();

-- A new search_version for every change a search document shows. An explicit change of
-- search_version (the author's username or image changed) is kept as it is.
CREATE FUNCTION "articles_bump_search_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW."search_version" := nextval('article_search_version_seq');
  ELSIF NEW."search_version" = OLD."search_version"
    AND (NEW."slug", NEW."title", NEW."description", NEW."body", NEW."tags_text", NEW."author_id",
         NEW."favorites_count", NEW."published_at", NEW."created_at", NEW."updated_at")
    IS DISTINCT FROM (OLD."slug", OLD."title", OLD."description", OLD."body", OLD."tags_text", OLD."author_id",
         OLD."favorites_count", OLD."published_at", OLD."created_at", OLD."updated_at") THEN
    NEW."search_version" := nextval('article_search_version_seq');
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER "articles_search_version" BEFORE INSERT OR UPDATE ON "articles"
  FOR EACH ROW EXECUTE FUNCTION "articles_bump_search_version"();

-- The outbox events of the `search` queue, written by the database in the transaction of the
-- change, so that no write path (favorites, tag changes, author renames, cascades) can forget one.
CREATE FUNCTION "articles_search_outbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "outbox_events" ("queue", "name", "payload")
    SELECT 'search', 'index-article', jsonb_build_object('articleId', n."id", 'version', n."search_version")
    FROM "new_articles" AS n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "outbox_events" ("queue", "name", "payload")
    SELECT 'search', 'index-article', jsonb_build_object('articleId', n."id", 'version', n."search_version")
    FROM "new_articles" AS n JOIN "old_articles" AS o ON o."id" = n."id"
    WHERE n."search_version" <> o."search_version";
  ELSE
    -- A deleted article's document goes with a version above any it had.
    INSERT INTO "outbox_events" ("queue", "name", "payload")
    SELECT 'search', 'delete-article', jsonb_build_object('articleId', o."id", 'version', nextval('article_search_version_seq'))
    FROM "old_articles" AS o;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "articles_inserted_search_outbox" AFTER INSERT ON "articles"
  REFERENCING NEW TABLE AS "new_articles" FOR EACH STATEMENT EXECUTE FUNCTION "articles_search_outbox"();
CREATE TRIGGER "articles_updated_search_outbox" AFTER UPDATE ON "articles"
  REFERENCING OLD TABLE AS "old_articles" NEW TABLE AS "new_articles" FOR EACH STATEMENT EXECUTE FUNCTION "articles_search_outbox"();
CREATE TRIGGER "articles_deleted_search_outbox" AFTER DELETE ON "articles"
  REFERENCING OLD TABLE AS "old_articles" FOR EACH STATEMENT EXECUTE FUNCTION "articles_search_outbox"();

-- An author's new username or image reaches the documents of all their articles.
CREATE FUNCTION "users_author_search_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW."username", NEW."image") IS DISTINCT FROM (OLD."username", OLD."image") THEN
    UPDATE "articles" SET "search_version" = nextval('article_search_version_seq') WHERE "author_id" = NEW."id";
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "users_author_search_version" AFTER UPDATE OF "username", "image" ON "users"
  FOR EACH ROW EXECUTE FUNCTION "users_author_search_version"();

