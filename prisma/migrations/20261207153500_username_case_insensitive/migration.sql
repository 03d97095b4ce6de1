-- Usernames are unique whatever their case: "Alice" and "alice" name the same profile. The API
-- also folds compatibility characters (NFKC) before storing a name. An expression index, which
-- schema.prisma cannot express; the plain unique index on "username" stays for exact lookups.
-- If two existing accounts differ only by case, rename one of them before applying this.
CREATE UNIQUE INDEX "users_username_lower_key" ON "users" (lower("username"));
