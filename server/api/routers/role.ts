import { roleAssign, roleList, roleUnassign } from "../../../lib/schemas/auth";
import { assignRole, listAssignments, unassignRole } from "../../domain/users";
import { adminProcedure, router } from "../trpc";
import { write } from "../write";

/** Role assignments, as `openstack role add|remove --user U --project P ROLE` and `role assignment list`. */
export const roleRouter = router({
  list: adminProcedure.input(roleList).query(({ ctx, input }) => listAssignments(ctx.db, input)),
  assign: adminProcedure
    .input(roleAssign)
    .mutation(({ ctx, input }) => write(ctx, (tx) => assignRole(tx, input))),
  unassign: adminProcedure
    .input(roleUnassign)
    .mutation(({ ctx, input }) => write(ctx, (tx) => unassignRole(tx, input))),
});
