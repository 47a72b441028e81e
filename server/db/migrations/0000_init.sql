CREATE TABLE "agents" (
	"id" serial PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"host" text,
	"prefix" text,
	"bridge_mappings" jsonb,
	"wanted_revision" integer DEFAULT 0 NOT NULL,
	"applied_revision" integer DEFAULT 0 NOT NULL,
	"last_seen" timestamp with time zone,
	"last_error" text,
	CONSTRAINT "agents_url_unique" UNIQUE("url"),
	CONSTRAINT "agents_host_unique" UNIQUE("host")
);
--> statement-breakpoint
CREATE TABLE "floating_ips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"floating_network_id" uuid NOT NULL,
	"floating_ip_address" text NOT NULL,
	"floating_port_id" uuid NOT NULL,
	"fixed_port_id" uuid,
	"fixed_ip_address" text,
	"router_id" uuid,
	"description" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"status_message" text,
	"intent_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "floating_ips_floating_ip_address_unique" UNIQUE("floating_ip_address")
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"port_id" uuid NOT NULL,
	"host" text,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"status_message" text,
	"intent_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instances_port_id_unique" UNIQUE("port_id")
);
--> statement-breakpoint
CREATE TABLE "ip_allocations" (
	"port_id" uuid NOT NULL,
	"subnet_id" uuid NOT NULL,
	"ip_address" text NOT NULL,
	CONSTRAINT "ip_allocations_subnet_ip" PRIMARY KEY("subnet_id","ip_address")
);
--> statement-breakpoint
CREATE TABLE "networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"router_external" boolean DEFAULT false NOT NULL,
	"network_type" text NOT NULL,
	"physical_network" text,
	"segmentation_id" integer,
	"mtu" integer NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"status_message" text,
	"intent_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "networks_provider_shape" CHECK (("networks"."network_type" IN ('flat', 'vlan')) = ("networks"."physical_network" IS NOT NULL)
        AND ("networks"."network_type" IN ('vlan', 'vxlan')) = ("networks"."segmentation_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "ports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"mac_address" text NOT NULL,
	"device_owner" text DEFAULT '' NOT NULL,
	"device_id" text DEFAULT '' NOT NULL,
	"host_id" text DEFAULT '' NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"status_message" text,
	"intent_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ports_mac_address_unique" UNIQUE("mac_address")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "router_ports" (
	"port_id" uuid PRIMARY KEY NOT NULL,
	"router_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"admin_state_up" boolean DEFAULT true NOT NULL,
	"gw_port_id" uuid,
	"enable_snat" boolean DEFAULT true NOT NULL,
	"routes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"status_message" text,
	"intent_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subnets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"ip_version" integer DEFAULT 4 NOT NULL,
	"cidr" text NOT NULL,
	"gateway_ip" text,
	"allocation_pools" jsonb NOT NULL,
	"enable_dhcp" boolean DEFAULT true NOT NULL,
	"dns_nameservers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"host_routes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_floating_network_id_networks_id_fk" FOREIGN KEY ("floating_network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_floating_port_id_ports_id_fk" FOREIGN KEY ("floating_port_id") REFERENCES "public"."ports"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_fixed_port_id_ports_id_fk" FOREIGN KEY ("fixed_port_id") REFERENCES "public"."ports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ip_allocations" ADD CONSTRAINT "ip_allocations_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ip_allocations" ADD CONSTRAINT "ip_allocations_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "public"."subnets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "router_ports" ADD CONSTRAINT "router_ports_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "router_ports" ADD CONSTRAINT "router_ports_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_gw_port_id_ports_id_fk" FOREIGN KEY ("gw_port_id") REFERENCES "public"."ports"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "floating_ips_fixed_unique" ON "floating_ips" USING btree ("fixed_port_id","fixed_ip_address","floating_network_id") WHERE "floating_ips"."fixed_port_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "networks_flat_physnet_unique" ON "networks" USING btree ("physical_network") WHERE "networks"."network_type" = 'flat';--> statement-breakpoint
CREATE UNIQUE INDEX "networks_vlan_segment_unique" ON "networks" USING btree ("physical_network","segmentation_id") WHERE "networks"."network_type" = 'vlan';--> statement-breakpoint
CREATE UNIQUE INDEX "networks_vxlan_segment_unique" ON "networks" USING btree ("segmentation_id") WHERE "networks"."network_type" = 'vxlan';