CREATE TABLE "port_forwardings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"floatingip_id" uuid NOT NULL,
	"internal_port_id" uuid NOT NULL,
	"internal_ip_address" text NOT NULL,
	"protocol" text NOT NULL,
	"internal_port_start" integer NOT NULL,
	"internal_port_end" integer NOT NULL,
	"external_port_start" integer NOT NULL,
	"external_port_end" integer NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "port_forwardings_protocol" CHECK ("port_forwardings"."protocol" IN ('tcp', 'udp'))
);
--> statement-breakpoint
ALTER TABLE "port_forwardings" ADD CONSTRAINT "port_forwardings_floatingip_id_floating_ips_id_fk" FOREIGN KEY ("floatingip_id") REFERENCES "public"."floating_ips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "port_forwardings" ADD CONSTRAINT "port_forwardings_internal_port_id_ports_id_fk" FOREIGN KEY ("internal_port_id") REFERENCES "public"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "port_forwardings_external" ON "port_forwardings" USING btree ("floatingip_id","protocol","external_port_start");--> statement-breakpoint
CREATE INDEX "port_forwardings_internal_port" ON "port_forwardings" USING btree ("internal_port_id");