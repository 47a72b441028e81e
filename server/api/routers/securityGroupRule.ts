import {
  securityGroupRuleCreate,
  securityGroupRuleDelete,
  securityGroupRuleList,
  securityGroupRuleShow,
} from "../../../lib/schemas/securityGroup";
import {
  createSecurityGroupRule,
  deleteSecurityGroupRule,
  listSecurityGroupRules,
  showSecurityGroupRule,
} from "../../domain/securityGroups";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const securityGroupRuleRouter = router({
  list: memberProcedure
    .input(securityGroupRuleList)
    .query(({ ctx, input }) => listSecurityGroupRules(ctx.db, ctx.actor, input)),
  show: memberProcedure
    .input(securityGroupRuleShow)
    .query(({ ctx, input }) => showSecurityGroupRule(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(securityGroupRuleCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createSecurityGroupRule(tx, input))),
  delete: adminProcedure
    .input(securityGroupRuleDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteSecurityGroupRule(tx, input.id))),
});
