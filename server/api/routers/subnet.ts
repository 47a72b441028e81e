import {
  subnetCreate,
  subnetDelete,
  subnetList,
  subnetShow,
  subnetUpdate,
} from "../../../lib/schemas/subnet";
import { createSubnet, deleteSubnet, listSubnets, showSubnet, updateSubnet } from "../../domain/subnets";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const subnetRouter = router({
  list: memberProcedure.input(subnetList).query(({ ctx, input }) => listSubnets(ctx.db, ctx.actor, input)),
  show: memberProcedure.input(subnetShow).query(({ ctx, input }) => showSubnet(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(subnetCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createSubnet(tx, input))),
  update: adminProcedure
    .input(subnetUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updateSubnet(tx, input))),
  delete: adminProcedure
    .input(subnetDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteSubnet(tx, input.id))),
});
