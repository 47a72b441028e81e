ALTER TABLE "agents" ADD COLUMN "repair_targets" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "auto_repair" boolean DEFAULT false NOT NULL;