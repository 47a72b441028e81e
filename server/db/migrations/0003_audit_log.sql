CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"user_id" uuid,
	"user_name" text NOT NULL,
	"project_id" uuid,
	"via" text NOT NULL,
	"token_id" uuid,
	"token_name" text,
	"procedure" text NOT NULL,
	"resource_kind" text,
	"resource_id" text,
	"resource_name" text,
	"before" jsonb,
	"after" jsonb,
	"input" jsonb,
	"changes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text,
	"error" text,
	"address" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE INDEX "audit_log_at" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_resource" ON "audit_log" USING btree ("resource_id");--> statement-breakpoint
CREATE INDEX "audit_log_user" ON "audit_log" USING btree ("user_name");