// Neutron's security groups and rules: a `default` group per project made on first use, rule checks beyond the
// input schema (duplicates, remote groups), and what may not be deleted.
import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import type { z } from "zod";
import {
  protocolNumber,
  type securityGroupCreate,
  type securityGroupList,
  type securityGroupRuleCreate,
  type securityGroupRuleList,
  type securityGroupUpdate,
} from "../../lib/schemas/securityGroup";
import type { Executor } from "../db/client";
import {
  portSecurityGroups,
  type SecurityGroupRow,
  type SecurityGroupRuleRow,
  securityGroupRules,
  securityGroups,
} from "../db/schema";
import { badRequest, conflict } from "./errors";
import { owningProject, projectSpec } from "./projects";
import { label, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import type { Actor, Tx } from "./tx";

export const DEFAULT_GROUP = "default";

export const securityGroupSpec: RefSpec<SecurityGroupRow> = {
  label: "Security group",
  plural: "security groups",
  notFoundType: "SecurityGroupNotFound",
  byId: async (ex, id) => (await ex.select().from(securityGroups).where(eq(securityGroups.id, id)))[0],
  byName: (ex, name) => ex.select().from(securityGroups).where(eq(securityGroups.name, name)),
  visible: (row, actor) => ownedBy(actor, row.projectId),
};

/**
 * A group named for a port (or a server's port): among the port's project's groups, as Nova looks a name up in
 * the instance's project. Every project has a `default`, so an admin's `default` means the port's.
 */
export function resolveGroupOf(
  ex: Executor,
  actor: Actor,
  projectId: string,
  ref: string,
): Promise<SecurityGroupRow> {
  const spec = {
    ...securityGroupSpec,
    visible: (row: SecurityGroupRow, who: Actor) =>
      row.projectId === projectId && ownedBy(who, row.projectId),
  };
  return resolveRef(ex, actor, spec, ref);
}

/** Rules have no name: they are named by their ID only. */
export const securityGroupRuleSpec: RefSpec<SecurityGroupRuleRow> = {
  label: "Security group rule",
  plural: "security group rules",
  notFoundType: "SecurityGroupRuleNotFound",
  byId: async (ex, id) =>
    (await ex.select().from(securityGroupRules).where(eq(securityGroupRules.id, id)))[0],
  byName: () => Promise.resolve([]),
  visible: (row, actor) => ownedBy(actor, row.projectId),
};

function ruleView(row: SecurityGroupRuleRow) {
  return {
    id: row.id,
    security_group_id: row.securityGroupId,
    project_id: row.projectId,
    tenant_id: row.projectId,
    direction: row.direction,
    ethertype: row.ethertype,
    protocol: row.protocol,
    port_range_min: row.portRangeMin,
    port_range_max: row.portRangeMax,
    remote_ip_prefix: row.remoteIpPrefix,
    remote_group_id: row.remoteGroupId,
    description: row.description,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type SecurityGroupRuleView = ReturnType<typeof ruleView>;

function groupView(row: SecurityGroupRow, rules: readonly SecurityGroupRuleRow[]) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    project_id: row.projectId,
    tenant_id: row.projectId,
    stateful: row.stateful,
    security_group_rules: rules.filter((r) => r.securityGroupId === row.id).map(ruleView),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type SecurityGroupView = ReturnType<typeof groupView>;

async function groupViews(ex: Executor, rows: SecurityGroupRow[]): Promise<SecurityGroupView[]> {
  if (rows.length === 0) return [];
  const rules = await ex
    .select()
    .from(securityGroupRules)
    .where(
      inArray(
        securityGroupRules.securityGroupId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(securityGroupRules.createdAt));
  return rows.map((row) => groupView(row, rules));
}

/**
 * The project's `default` group, made with Neutron's default rules when missing: ingress only from members of
 * the group itself, all egress.
 */
export async function ensureDefaultGroup(tx: Tx, projectId: string): Promise<SecurityGroupRow> {
  const [existing] = await tx.db
    .select()
    .from(securityGroups)
    .where(and(eq(securityGroups.projectId, projectId), eq(securityGroups.isDefault, true)));
  if (existing) return existing;
  const [group] = await tx.db
    .insert(securityGroups)
    .values({ projectId, name: DEFAULT_GROUP, description: "Default security group", isDefault: true })
    .returning();
  if (!group) throw new Error("insert returned nothing");
  await tx.db.insert(securityGroupRules).values([
    { securityGroupId: group.id, projectId, direction: "ingress", remoteGroupId: group.id },
    { securityGroupId: group.id, projectId, direction: "egress" },
  ]);
  tx.changed({ kind: "security_group", id: group.id, action: "create", project_id: projectId });
  return group;
}

export async function listSecurityGroups(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof securityGroupList>,
): Promise<SecurityGroupView[]> {
  const where: (SQL | undefined)[] = [ownedScope(actor, securityGroups.projectId)];
  if (filter?.project_id) {
    where.push(
      eq(securityGroups.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id),
    );
  }
  const rows = await ex
    .select()
    .from(securityGroups)
    .where(and(...where))
    .orderBy(asc(securityGroups.createdAt));
  return groupViews(ex, rows);
}

export async function showSecurityGroup(ex: Executor, actor: Actor, ref: string): Promise<SecurityGroupView> {
  const [view] = await groupViews(ex, [await resolveRef(ex, actor, securityGroupSpec, ref)]);
  if (!view) throw new Error("unreachable: one row in, one view out");
  return view;
}

const defaultExists = () =>
  conflict("Default security group already exists.", "SecurityGroupDefaultAlreadyExists");

export async function createSecurityGroup(
  tx: Tx,
  input: z.infer<typeof securityGroupCreate>,
): Promise<SecurityGroupView> {
  const projectId = await owningProject(tx, input.project_id);
  // Neutron makes the default group first, so a group named `default` always finds it there.
  await ensureDefaultGroup(tx, projectId);
  if (input.name === DEFAULT_GROUP) throw defaultExists();
  const [row] = await tx.db
    .insert(securityGroups)
    .values({ projectId, name: input.name, description: input.description, stateful: input.stateful })
    .returning();
  if (!row) throw new Error("insert returned nothing");
  // Neutron gives every new group the default egress rule.
  await tx.db.insert(securityGroupRules).values({ securityGroupId: row.id, projectId, direction: "egress" });
  tx.changed({ kind: "security_group", id: row.id, action: "create", project_id: projectId });
  return showSecurityGroup(tx.db, tx.actor, row.id);
}

export async function updateSecurityGroup(
  tx: Tx,
  input: z.infer<typeof securityGroupUpdate>,
): Promise<SecurityGroupView> {
  const group = await resolveRef(tx.db, tx.actor, securityGroupSpec, input.id);
  if (input.name !== undefined && input.name !== group.name) {
    if (group.isDefault)
      throw conflict("Updating default security group not allowed.", "SecurityGroupCannotUpdateDefault");
    if (input.name === DEFAULT_GROUP) throw defaultExists();
  }
  await tx.db
    .update(securityGroups)
    .set({ name: input.name, description: input.description, updatedAt: new Date() })
    .where(eq(securityGroups.id, group.id));
  tx.changed({ kind: "security_group", id: group.id, action: "update", project_id: group.projectId });
  return showSecurityGroup(tx.db, tx.actor, group.id);
}

export async function deleteSecurityGroup(tx: Tx, ref: string): Promise<void> {
  const group = await resolveRef(tx.db, tx.actor, securityGroupSpec, ref);
  if (group.isDefault)
    throw conflict("Removing default security group not allowed.", "SecurityGroupCannotRemoveDefault");
  const [used] = await tx.db
    .select({ n: count() })
    .from(portSecurityGroups)
    .where(eq(portSecurityGroups.securityGroupId, group.id));
  if ((used?.n ?? 0) > 0) throw conflict(`Security Group ${group.id} in use.`, "SecurityGroupInUse");
  await tx.db.delete(securityGroups).where(eq(securityGroups.id, group.id));
  tx.changed({ kind: "security_group", id: group.id, action: "delete", project_id: group.projectId });
}

export async function listSecurityGroupRules(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof securityGroupRuleList>,
): Promise<SecurityGroupRuleView[]> {
  const where: (SQL | undefined)[] = [ownedScope(actor, securityGroupRules.projectId)];
  if (filter?.security_group_id) {
    const group = await resolveRef(ex, actor, securityGroupSpec, filter.security_group_id);
    where.push(eq(securityGroupRules.securityGroupId, group.id));
  }
  if (filter?.project_id) {
    const project = await resolveRef(ex, actor, projectSpec, filter.project_id);
    where.push(eq(securityGroupRules.projectId, project.id));
  }
  if (filter?.direction) where.push(eq(securityGroupRules.direction, filter.direction));
  const rows = await ex
    .select()
    .from(securityGroupRules)
    .where(and(...where))
    .orderBy(asc(securityGroupRules.createdAt));
  return rows.map(ruleView);
}

export async function showSecurityGroupRule(
  ex: Executor,
  actor: Actor,
  ref: string,
): Promise<SecurityGroupRuleView> {
  return ruleView(await resolveRef(ex, actor, securityGroupRuleSpec, ref));
}

type RuleInput = z.infer<typeof securityGroupRuleCreate>;

/** What makes two rules the same rule (a protocol by name or by number is one protocol). */
const ruleKey = (r: {
  direction: string;
  ethertype: string;
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}) =>
  JSON.stringify([
    r.direction,
    r.ethertype,
    protocolNumber(r.protocol),
    r.portRangeMin,
    r.portRangeMax,
    // A rule open to every address says the same with 0.0.0.0/0 or no prefix (openstack sends the former).
    r.remoteIpPrefix === "0.0.0.0/0" ? null : r.remoteIpPrefix,
    r.remoteGroupId,
  ]);

export async function createSecurityGroupRule(tx: Tx, input: RuleInput): Promise<SecurityGroupRuleView> {
  const group = await resolveRef(tx.db, tx.actor, securityGroupSpec, input.security_group_id);
  const remote =
    input.remote_group_id === null
      ? null
      : await resolveRef(tx.db, tx.actor, securityGroupSpec, input.remote_group_id);
  if (remote && remote.projectId !== group.projectId) {
    throw badRequest(
      `Remote security group ${label(remote)} belongs to another project than security group ${label(group)}.`,
    );
  }
  const values = {
    securityGroupId: group.id,
    projectId: group.projectId,
    direction: input.direction,
    ethertype: input.ethertype,
    protocol: input.protocol,
    portRangeMin: input.port_range_min,
    portRangeMax: input.port_range_max,
    remoteIpPrefix: input.remote_ip_prefix,
    remoteGroupId: remote?.id ?? null,
    description: input.description,
  };
  const existing = await tx.db
    .select()
    .from(securityGroupRules)
    .where(eq(securityGroupRules.securityGroupId, group.id));
  const same = existing.find((r) => ruleKey(r) === ruleKey(values));
  if (same)
    throw conflict(`Security group rule already exists. Rule id is ${same.id}.`, "SecurityGroupRuleExists");
  const [row] = await tx.db.insert(securityGroupRules).values(values).returning();
  if (!row) throw new Error("insert returned nothing");
  tx.changed({ kind: "security_group_rule", id: row.id, action: "create", project_id: row.projectId });
  return ruleView(row);
}

export async function deleteSecurityGroupRule(tx: Tx, ref: string): Promise<void> {
  const rule = await resolveRef(tx.db, tx.actor, securityGroupRuleSpec, ref);
  await tx.db.delete(securityGroupRules).where(eq(securityGroupRules.id, rule.id));
  tx.changed({ kind: "security_group_rule", id: rule.id, action: "delete", project_id: rule.projectId });
}
