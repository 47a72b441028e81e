CREATE TABLE "keypairs" (
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"public_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "keypairs_user_name" PRIMARY KEY("user_id","name")
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "user_data" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "key_name" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "key_data" text;--> statement-breakpoint
ALTER TABLE "keypairs" ADD CONSTRAINT "keypairs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;