// The logical model in PostgreSQL. Constraints carry the invariants that must hold under concurrency
// (one address per subnet, one flat network per physical network, ...); the domain layer checks the same
// rules first only to give Neutron's wording.
import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { Role } from "../../lib/schemas/auth";
import type { HostRole } from "../../lib/schemas/host";
import type { NetworkType } from "../../lib/schemas/network";

export type Status = "PENDING" | "ACTIVE" | "DOWN" | "ERROR";
export type VifType = "unbound" | "ovs";
export type Route = { destination: string; nexthop: string };
export type Pool = { start: string; end: string };
/** An address (or CIDR) a port may also send from, with the MAC it may use for it (the port's own when absent). */
export type AddressPair = { ip_address: string; mac_address: string };

const id = () => uuid("id").primaryKey().defaultRandom();
// clock_timestamp, not now(): rows made in one transaction still sort in the order they were made.
const createdAt = () =>
  timestamp("created_at", { withTimezone: true }).notNull().default(sql`clock_timestamp()`);
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** What the agent reports back: every resource the host realises carries these. */
const realised = () => ({
  status: text("status").$type<Status>().notNull().default("PENDING"),
  statusMessage: text("status_message"),
  /** The host revision that first carries this resource's latest change: applied at or after it = realised. */
  intentRevision: integer("intent_revision").notNull().default(0),
});

export const projects = pgTable("projects", {
  id: id(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  createdAt: createdAt(),
});

export const networks = pgTable(
  "networks",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "restrict" }),
    name: text("name").notNull().default(""),
    shared: boolean("shared").notNull().default(false),
    routerExternal: boolean("router_external").notNull().default(false),
    networkType: text("network_type").$type<NetworkType>().notNull(),
    physicalNetwork: text("physical_network"),
    segmentationId: integer("segmentation_id"),
    mtu: integer("mtu").notNull(),
    adminStateUp: boolean("admin_state_up").notNull().default(true),
    ...realised(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("networks_flat_physnet_unique").on(t.physicalNetwork).where(sql`${t.networkType} = 'flat'`),
    uniqueIndex("networks_vlan_segment_unique")
      .on(t.physicalNetwork, t.segmentationId)
      .where(sql`${t.networkType} = 'vlan'`),
    uniqueIndex("networks_vxlan_segment_unique").on(t.segmentationId).where(sql`${t.networkType} = 'vxlan'`),
    check(
      "networks_provider_shape",
      sql`(${t.networkType} IN ('flat', 'vlan')) = (${t.physicalNetwork} IS NOT NULL)
        AND (${t.networkType} IN ('vlan', 'vxlan')) = (${t.segmentationId} IS NOT NULL)`,
    ),
  ],
);

export const subnets = pgTable("subnets", {
  id: id(),
  // Deleting a network takes its subnets with it (Neutron does); allocations keep a subnet alive (below).
  networkId: uuid("network_id")
    .notNull()
    .references(() => networks.id, { onDelete: "cascade" }),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "restrict" }),
  name: text("name").notNull().default(""),
  ipVersion: integer("ip_version").notNull().default(4),
  cidr: text("cidr").notNull(),
  gatewayIp: text("gateway_ip"),
  allocationPools: jsonb("allocation_pools").$type<Pool[]>().notNull(),
  enableDhcp: boolean("enable_dhcp").notNull().default(true),
  dnsNameservers: jsonb("dns_nameservers").$type<string[]>().notNull().default([]),
  hostRoutes: jsonb("host_routes").$type<Route[]>().notNull().default([]),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ports = pgTable("ports", {
  id: id(),
  networkId: uuid("network_id")
    .notNull()
    .references(() => networks.id, { onDelete: "restrict" }),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "restrict" }),
  name: text("name").notNull().default(""),
  macAddress: text("mac_address").notNull().unique(),
  deviceOwner: text("device_owner").notNull().default(""),
  deviceId: text("device_id").notNull().default(""),
  /** binding:host_id: where the port is (or must be) plugged; "" = not bound, any host's agent may bind it. */
  hostId: text("host_id").notNull().default(""),
  /** binding:vif_type: "ovs" while an agent has it wired on its integration bridge, else "unbound". */
  vifType: text("vif_type").$type<VifType>().notNull().default("unbound"),
  /** The host was set through the API (`port set --host`): unplugging keeps it, and only that host binds it. */
  hostPinned: boolean("host_pinned").notNull().default(false),
  adminStateUp: boolean("admin_state_up").notNull().default(true),
  portSecurityEnabled: boolean("port_security_enabled").notNull().default(true),
  allowedAddressPairs: jsonb("allowed_address_pairs").$type<AddressPair[]>().notNull().default([]),
  ...realised(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ipAllocations = pgTable(
  "ip_allocations",
  {
    portId: uuid("port_id")
      .notNull()
      .references(() => ports.id, { onDelete: "cascade" }),
    // RESTRICT: "One or more ports have an IP allocation from this subnet" holds even if a check is missed.
    subnetId: uuid("subnet_id")
      .notNull()
      .references(() => subnets.id, { onDelete: "restrict" }),
    ipAddress: text("ip_address").notNull(),
  },
  // The primary key is the unique (subnet_id, ip_address) that makes concurrent allocations safe.
  (t) => [primaryKey({ name: "ip_allocations_subnet_ip", columns: [t.subnetId, t.ipAddress] })],
);

export const routers = pgTable("routers", {
  id: id(),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "restrict" }),
  name: text("name").notNull().default(""),
  adminStateUp: boolean("admin_state_up").notNull().default(true),
  gwPortId: uuid("gw_port_id").references(() => ports.id, { onDelete: "restrict" }),
  enableSnat: boolean("enable_snat").notNull().default(true),
  routes: jsonb("routes").$type<Route[]>().notNull().default([]),
  /**
   * The network node its namespace lives on (Neutron's L3 agent scheduling); null while no network node is alive
   * to take it (with one host: until that host's agent first answers).
   */
  host: text("host"),
  /**
   * Neutron's L3 HA: its namespace on two network nodes, keepalived (VRRP) choosing which one holds its addresses.
   * `host` is then the first of them; ha_router_agent_port_bindings lists both.
   */
  ha: boolean("ha").notNull().default(false),
  /** The VRRP virtual router id of an HA router (Neutron's ha_vr_id), one of its project's HA network's. */
  haVrId: integer("ha_vr_id"),
  ...realised(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Neutron's ha_router_networks: the network a project's HA routers run VRRP over, made with its first HA router
 * and removed with its last. Hidden from the project's members, as Neutron hides it (no tenant owns it there).
 */
export const haRouterNetworks = pgTable("ha_router_networks", {
  projectId: uuid("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "restrict" }),
  networkId: uuid("network_id")
    .notNull()
    .unique()
    .references(() => networks.id, { onDelete: "cascade" }),
});

/** Neutron's ha_router_vrid_allocations: the VRRP ids taken on an HA network, one per HA router (1..254). */
export const haRouterVridAllocations = pgTable(
  "ha_router_vrid_allocations",
  {
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    vrId: integer("vr_id").notNull(),
  },
  (t) => [
    primaryKey({ name: "ha_router_vrid_allocations_network_vr_id", columns: [t.networkId, t.vrId] }),
    check("ha_router_vrid_allocations_vr_id_range", sql`${t.vrId} BETWEEN 1 AND 254`),
  ],
);

/** What a node last reported for an HA router (Neutron's ha_state). */
export type HaBindingState = "active" | "standby" | "fault" | "unknown";

/**
 * Neutron's ha_router_agent_port_bindings: an HA router's port on its project's HA network on each node that runs
 * it, and what that node last reported (active, standby).
 */
export const haRouterAgentPortBindings = pgTable(
  "ha_router_agent_port_bindings",
  {
    portId: uuid("port_id")
      .primaryKey()
      .references(() => ports.id, { onDelete: "cascade" }),
    routerId: uuid("router_id")
      .notNull()
      .references(() => routers.id, { onDelete: "cascade" }),
    host: text("host").notNull(),
    state: text("state").$type<HaBindingState>().notNull().default("standby"),
  },
  (t) => [uniqueIndex("ha_router_agent_port_bindings_router_host").on(t.routerId, t.host)],
);

/** Neutron's routerports: which ports are a router's interfaces. RESTRICT keeps a router with interfaces. */
export const routerPorts = pgTable("router_ports", {
  portId: uuid("port_id")
    .primaryKey()
    .references(() => ports.id, { onDelete: "cascade" }),
  routerId: uuid("router_id")
    .notNull()
    .references(() => routers.id, { onDelete: "restrict" }),
});

export const floatingIps = pgTable(
  "floating_ips",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "restrict" }),
    floatingNetworkId: uuid("floating_network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "restrict" }),
    floatingIpAddress: text("floating_ip_address").notNull().unique(),
    /** The network:floatingip port that holds the address in IPAM, as Neutron does. */
    floatingPortId: uuid("floating_port_id")
      .notNull()
      .references(() => ports.id, { onDelete: "restrict" }),
    // Deleting the associated port disassociates (Neutron's behaviour); the dispatcher then syncs the host.
    fixedPortId: uuid("fixed_port_id").references(() => ports.id, { onDelete: "set null" }),
    fixedIpAddress: text("fixed_ip_address"),
    routerId: uuid("router_id").references(() => routers.id, { onDelete: "restrict" }),
    description: text("description").notNull().default(""),
    ...realised(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("floating_ips_fixed_unique")
      .on(t.fixedPortId, t.fixedIpAddress, t.floatingNetworkId)
      .where(sql`${t.fixedPortId} IS NOT NULL`),
  ],
);

/**
 * Neutron's port forwardings on a floating IP that is not associated with a port: traffic to the floating IP on
 * `external_port` goes to `internal_ip_address:internal_port` of `internal_port_id`. A range is a start and an
 * end; a single port has both equal. The domain checks overlapping ranges under the write lock; the unique index
 * holds the (external port, protocol) of single ports even past a missed check.
 */
export const portForwardings = pgTable(
  "port_forwardings",
  {
    id: id(),
    floatingIpId: uuid("floatingip_id")
      .notNull()
      .references(() => floatingIps.id, { onDelete: "cascade" }),
    // Deleting the internal port deletes its forwardings, as Neutron does.
    internalPortId: uuid("internal_port_id")
      .notNull()
      .references(() => ports.id, { onDelete: "cascade" }),
    internalIpAddress: text("internal_ip_address").notNull(),
    protocol: text("protocol").$type<"tcp" | "udp">().notNull(),
    internalPortStart: integer("internal_port_start").notNull(),
    internalPortEnd: integer("internal_port_end").notNull(),
    externalPortStart: integer("external_port_start").notNull(),
    externalPortEnd: integer("external_port_end").notNull(),
    description: text("description").notNull().default(""),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("port_forwardings_external").on(t.floatingIpId, t.protocol, t.externalPortStart),
    index("port_forwardings_internal_port").on(t.internalPortId),
    check("port_forwardings_protocol", sql`${t.protocol} IN ('tcp', 'udp')`),
  ],
);

/** Neutron's security groups; `is_default` marks the project's `default` group, made on first use (one each). */
export const securityGroups = pgTable(
  "security_groups",
  {
    id: id(),
    // A project's groups go with it (its default group is made for it, not by anyone).
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull().default(""),
    description: text("description").notNull().default(""),
    stateful: boolean("stateful").notNull().default(true),
    isDefault: boolean("is_default").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("security_groups_one_default").on(t.projectId).where(sql`${t.isDefault}`)],
);

export const securityGroupRules = pgTable(
  "security_group_rules",
  {
    id: id(),
    securityGroupId: uuid("security_group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    direction: text("direction").$type<"ingress" | "egress">().notNull(),
    ethertype: text("ethertype").$type<"IPv4">().notNull().default("IPv4"),
    /** A name (tcp, udp, icmp) or a number as text; null = any protocol. */
    protocol: text("protocol"),
    portRangeMin: integer("port_range_min"),
    portRangeMax: integer("port_range_max"),
    remoteIpPrefix: text("remote_ip_prefix"),
    // Neutron drops the rules that name a deleted group as their remote.
    remoteGroupId: uuid("remote_group_id").references(() => securityGroups.id, { onDelete: "cascade" }),
    description: text("description").notNull().default(""),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("security_group_rules_group").on(t.securityGroupId)],
);

/** Which groups a port is in. RESTRICT: a group in use by a port is not deleted, even past a missed check. */
export const portSecurityGroups = pgTable(
  "port_security_groups",
  {
    portId: uuid("port_id")
      .notNull()
      .references(() => ports.id, { onDelete: "cascade" }),
    securityGroupId: uuid("security_group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "restrict" }),
  },
  (t) => [
    primaryKey({ name: "port_security_groups_pk", columns: [t.portId, t.securityGroupId] }),
    index("port_security_groups_group").on(t.securityGroupId),
  ],
);

export const instances = pgTable("instances", {
  id: id(),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "restrict" }),
  name: text("name").notNull(),
  portId: uuid("port_id")
    .notNull()
    .unique()
    .references(() => ports.id, { onDelete: "restrict" }),
  /** Null until an agent's host is known: with one host, unscheduled means "the host". */
  host: text("host"),
  /** What the metadata service hands the instance: base64 as Nova takes it, and the key pair copied in. */
  userData: text("user_data"),
  keyName: text("key_name"),
  keyData: text("key_data"),
  ...realised(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const agents = pgTable("agents", {
  id: serial("id").primaryKey(),
  url: text("url").notNull().unique(),
  /** Known after the first `info` call. */
  host: text("host").unique(),
  prefix: text("prefix"),
  bridgeMappings: jsonb("bridge_mappings").$type<Record<string, string>>(),
  /** What the host is for (Neutron's agent types); null until known. Both on a one-host install. */
  roles: jsonb("roles").$type<HostRole[]>(),
  /**
   * Its VXLAN tunnel endpoint (Neutron's `local_ip`); null: none. Unique: two hosts on one address would each
   * get the other's traffic, so the second to report it is refused.
   */
  localIp: text("local_ip").unique(),
  wantedRevision: integer("wanted_revision").notNull().default(0),
  appliedRevision: integer("applied_revision").notNull().default(0),
  /**
   * The last revision sent to the agent. With several hosts, a revision that changes nothing on this host is
   * recorded as applied without being sent: the agent (and its snapshots) still say this one.
   */
  sentRevision: integer("sent_revision").notNull().default(0),
  /**
   * What the next push may put back as the intent says after drift: resource ids (as the agent knows them) or
   * all. Kept here, not in a server's memory, because the server asked may not be the one that pushes.
   */
  repairTargets: jsonb("repair_targets").$type<"all" | string[]>().notNull().default([]),
  /** Every push repairs all drift (the hosts' setting, whichever server it was set through). */
  autoRepair: boolean("auto_repair").notNull().default(false),
  lastSeen: timestamp("last_seen", { withTimezone: true }),
  lastError: text("last_error"),
});

/**
 * What a database's first start decided, one row per decision, so that no later start decides again (the demo
 * seed: server/seed.ts). A migration records "existing database" for databases made before the table was.
 */
export const firstStart = pgTable("first_start", {
  decision: text("decision").primaryKey(),
  outcome: text("outcome").notNull(),
  decidedAt: timestamp("decided_at", { withTimezone: true }).notNull().defaultNow(),
});

// Accounts. Secrets are never stored: passwords as scrypt hashes (server/auth/password.ts), session ids and
// API tokens as SHA-256 digests of 256-bit random values (a slow hash adds nothing to a random secret).

export const users = pgTable("users", {
  id: id(),
  name: text("name").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  createdAt: createdAt(),
});

/** Keystone's assignments: a role on a project. Admin anywhere is admin everywhere (see server/auth/access.ts). */
export const roleAssignments = pgTable(
  "role_assignments",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    role: text("role").$type<Role>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "role_assignments_user_project", columns: [t.userId, t.projectId] }),
    check("role_assignments_role", sql`${t.role} IN ('admin', 'member')`),
  ],
);

/** Nova's key pairs: a user's SSH public keys, by name, that `server create --key-name` hands to instances. */
export const keypairs = pgTable(
  "keypairs",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    publicKey: text("public_key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: "keypairs_user_name", columns: [t.userId, t.name] })],
);

export const sessions = pgTable("sessions", {
  /** SHA-256 of the cookie's value, hex: a stolen database does not yield live cookies. */
  idHash: text("id_hash").primaryKey(),
  userId: uuid("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  /** The project the session works in (its scope); null = the user's first project. */
  projectId: uuid("project_id").references(() => projects.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  /** Idle expiry, pushed forward as the session is used. */
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: id(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "set null" }),
    name: text("name").notNull().default(""),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /**
     * Set when the token is issued (NETLENS_TOKEN_EXPIRATION). The default only dates tokens issued before tokens
     * expired: they get 12 hours from the migration instead of lasting forever.
     */
    expiresAt: timestamp("expires_at", { withTimezone: true })
      .notNull()
      .default(sql`now() + interval '12 hours'`),
    /**
     * Revoked tokens stay listed (who had access, until when) but never authenticate again; a day after they
     * expire, issuing a token deletes them.
     */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  // Issuing a token prunes the long-expired ones (server/auth/credentials.ts) by this.
  (t) => [index("api_tokens_expires_at").on(t.expiresAt)],
);

/**
 * The audit log: one row per change asked of the API (and per refused attempt of a logged-in caller), written
 * by server/audit/. No foreign keys: an entry outlives the user, token and resource it names. Secrets never
 * reach it (passwords, token values): inputs and images are redacted before they are written.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
    userId: uuid("user_id"),
    userName: text("user_name").notNull(),
    /** The project the caller worked in (its session's or token's scope). */
    projectId: uuid("project_id"),
    via: text("via").$type<"cookie" | "token" | "internal">().notNull(),
    tokenId: uuid("token_id"),
    tokenName: text("token_name"),
    /** The tRPC procedure: `network.update`. */
    procedure: text("procedure").notNull(),
    resourceKind: text("resource_kind"),
    resourceId: text("resource_id"),
    resourceName: text("resource_name"),
    /** The resource as the API showed it before and after the change; null where it did not exist. */
    before: jsonb("before"),
    after: jsonb("after"),
    input: jsonb("input"),
    /** Every resource the change touched ({kind, id, action}), the named one and its neighbours. */
    changes: jsonb("changes").$type<{ kind: string; id: string; action: string }[]>().notNull().default([]),
    outcome: text("outcome").$type<"ok" | "error">().notNull(),
    errorCode: text("error_code"),
    error: text("error"),
    /** The client's address as the server sees it, and its User-Agent. */
    address: text("address"),
    userAgent: text("user_agent"),
  },
  (t) => [
    index("audit_log_at").on(t.at),
    index("audit_log_resource").on(t.resourceId),
    index("audit_log_user").on(t.userName),
  ],
);

export type ProjectRow = typeof projects.$inferSelect;
export type NetworkRow = typeof networks.$inferSelect;
export type SubnetRow = typeof subnets.$inferSelect;
export type PortRow = typeof ports.$inferSelect;
export type AllocationRow = typeof ipAllocations.$inferSelect;
export type RouterRow = typeof routers.$inferSelect;
export type RouterPortRow = typeof routerPorts.$inferSelect;
export type HaBindingRow = typeof haRouterAgentPortBindings.$inferSelect;
export type FloatingIpRow = typeof floatingIps.$inferSelect;
export type PortForwardingRow = typeof portForwardings.$inferSelect;
export type SecurityGroupRow = typeof securityGroups.$inferSelect;
export type SecurityGroupRuleRow = typeof securityGroupRules.$inferSelect;
export type InstanceRow = typeof instances.$inferSelect;
export type KeypairRow = typeof keypairs.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type RoleAssignmentRow = typeof roleAssignments.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
