import {
  securityGroupCreate,
  securityGroupDelete,
  securityGroupList,
  securityGroupShow,
  securityGroupUpdate,
} from "../../../lib/schemas/securityGroup";
import {
  createSecurityGroup,
  deleteSecurityGroup,
  listSecurityGroups,
  showSecurityGroup,
  updateSecurityGroup,
} from "../../domain/securityGroups";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const securityGroupRouter = router({
  list: memberProcedure
    .input(securityGroupList)
    .query(({ ctx, input }) => listSecurityGroups(ctx.db, ctx.actor, input)),
  show: memberProcedure
    .input(securityGroupShow)
    .query(({ ctx, input }) => showSecurityGroup(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(securityGroupCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createSecurityGroup(tx, input))),
  update: adminProcedure
    .input(securityGroupUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updateSecurityGroup(tx, input))),
  delete: adminProcedure
    .input(securityGroupDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteSecurityGroup(tx, input.id))),
});
