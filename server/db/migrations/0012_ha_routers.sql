CREATE TABLE "ha_router_agent_port_bindings" (
	"port_id" uuid PRIMARY KEY NOT NULL,
	"router_id" uuid NOT NULL,
	"host" text NOT NULL,
	"state" text DEFAULT 'standby' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ha_router_networks" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"network_id" uuid NOT NULL,
	CONSTRAINT "ha_router_networks_network_id_unique" UNIQUE("network_id")
);
--> statement-breakpoint
CREATE TABLE "ha_router_vrid_allocations" (
	"network_id" uuid NOT NULL,
	"vr_id" integer NOT NULL,
	CONSTRAINT "ha_router_vrid_allocations_network_vr_id" PRIMARY KEY("network_id","vr_id"),
	CONSTRAINT "ha_router_vrid_allocations_vr_id_range" CHECK ("ha_router_vrid_allocations"."vr_id" BETWEEN 1 AND 254)
);
--> statement-breakpoint
ALTER TABLE "routers" ADD COLUMN "ha" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "routers" ADD COLUMN "ha_vr_id" integer;--> statement-breakpoint
ALTER TABLE "ha_router_agent_port_bindings" ADD CONSTRAINT "ha_router_agent_port_bindings_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_router_agent_port_bindings" ADD CONSTRAINT "ha_router_agent_port_bindings_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_router_networks" ADD CONSTRAINT "ha_router_networks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_router_networks" ADD CONSTRAINT "ha_router_networks_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_router_vrid_allocations" ADD CONSTRAINT "ha_router_vrid_allocations_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ha_router_agent_port_bindings_router_host" ON "ha_router_agent_port_bindings" USING btree ("router_id","host");