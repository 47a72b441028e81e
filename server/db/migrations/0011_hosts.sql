ALTER TABLE "agents" ADD COLUMN "roles" jsonb;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "local_ip" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "sent_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "routers" ADD COLUMN "host" text;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_local_ip_unique" UNIQUE("local_ip");--> statement-breakpoint
UPDATE "agents" SET "sent_revision" = "applied_revision";
