import {
  floatingIpCreate,
  floatingIpDelete,
  floatingIpList,
  floatingIpShow,
  floatingIpUpdate,
} from "../../../lib/schemas/floatingIp";
import {
  createFloatingIp,
  deleteFloatingIp,
  listFloatingIps,
  showFloatingIp,
  updateFloatingIp,
} from "../../domain/floatingIps";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const floatingIpRouter = router({
  list: memberProcedure
    .input(floatingIpList)
    .query(({ ctx, input }) => listFloatingIps(ctx.db, ctx.actor, input)),
  show: memberProcedure
    .input(floatingIpShow)
    .query(({ ctx, input }) => showFloatingIp(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(floatingIpCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createFloatingIp(tx, input))),
  update: adminProcedure
    .input(floatingIpUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updateFloatingIp(tx, input))),
  delete: adminProcedure
    .input(floatingIpDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteFloatingIp(tx, input.id))),
});
