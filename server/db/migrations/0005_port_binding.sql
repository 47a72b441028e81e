ALTER TABLE "ports" ADD COLUMN "vif_type" text DEFAULT 'unbound' NOT NULL;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "host_pinned" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Ports an agent already placed (router ports, lab probes): bound with the OVS driver, as Neutron records them.
UPDATE "ports" SET "vif_type" = 'ovs' WHERE "host_id" <> '';
