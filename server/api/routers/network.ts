import {
  networkCreate,
  networkDelete,
  networkList,
  networkShow,
  networkUpdate,
} from "../../../lib/schemas/network";
import {
  createNetwork,
  deleteNetwork,
  listNetworks,
  showNetwork,
  updateNetwork,
} from "../../domain/networks";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const networkRouter = router({
  list: memberProcedure.input(networkList).query(({ ctx, input }) => listNetworks(ctx.db, ctx.actor, input)),
  show: memberProcedure
    .input(networkShow)
    .query(({ ctx, input }) => showNetwork(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(networkCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createNetwork(tx, input, ctx.mtu))),
  update: adminProcedure
    .input(networkUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updateNetwork(tx, input, ctx.mtu))),
  delete: adminProcedure
    .input(networkDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteNetwork(tx, input.id))),
});
