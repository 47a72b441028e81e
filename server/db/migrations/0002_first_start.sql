CREATE TABLE "first_start" (
	"decision" text PRIMARY KEY NOT NULL,
	"outcome" text NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Every start so far made projects (the first admin's at least): a database that holds some had its first start
-- before this table existed, and its demo, kept or deleted since, is not seeded again.
INSERT INTO "first_start" ("decision", "outcome")
SELECT 'demo', 'existing database' WHERE EXISTS (SELECT 1 FROM "projects");
