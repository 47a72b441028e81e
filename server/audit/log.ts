// Reading the audit log (admins only: the router says so). Newest first, filtered by user, resource and time.
import { and, desc, eq, gte, lte, or, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import type { auditList } from "../../lib/schemas/audit";
import type { Executor } from "../db/client";
import { type AuditRow, auditLog } from "../db/schema";
import { isUuid } from "../domain/refs";

function auditView(row: AuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    user: row.userName,
    user_id: row.userId,
    project_id: row.projectId,
    via: row.via,
    token_id: row.tokenId,
    token_name: row.tokenName,
    procedure: row.procedure,
    resource_kind: row.resourceKind,
    resource_id: row.resourceId,
    resource_name: row.resourceName,
    outcome: row.outcome,
    error_code: row.errorCode,
    error: row.error,
    address: row.address,
    user_agent: row.userAgent,
    input: row.input,
    before: row.before,
    after: row.after,
    changes: row.changes,
  };
}
export type AuditView = ReturnType<typeof auditView>;

export async function listAudit(ex: Executor, filter: z.infer<typeof auditList>): Promise<AuditView[]> {
  const where: (SQL | undefined)[] = [];
  if (filter?.user) {
    const user = filter.user;
    where.push(or(eq(auditLog.userName, user), isUuid(user) ? eq(auditLog.userId, user) : undefined));
  }
  if (filter?.resource) {
    // The resource an entry names, or one its change touched besides (the port that `router add subnet` made).
    const touched = JSON.stringify([{ id: filter.resource }]);
    where.push(
      or(
        eq(auditLog.resourceId, filter.resource),
        eq(auditLog.resourceName, filter.resource),
        sql`${auditLog.changes} @> ${touched}::jsonb`,
      ),
    );
  }
  if (filter?.kind) where.push(eq(auditLog.resourceKind, filter.kind));
  if (filter?.since) where.push(gte(auditLog.at, filter.since));
  if (filter?.until) where.push(lte(auditLog.at, filter.until));
  const rows = await ex
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(filter?.limit ?? 100);
  return rows.map(auditView);
}
