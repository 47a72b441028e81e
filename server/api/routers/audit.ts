import { auditList } from "../../../lib/schemas/audit";
import { listAudit } from "../../audit/log";
import { adminProcedure, router } from "../trpc";

/** The audit log: every change made through the API, who made it and from where. Admins only. */
export const auditRouter = router({
  list: adminProcedure.input(auditList).query(({ ctx, input }) => listAudit(ctx.db, input)),
});
