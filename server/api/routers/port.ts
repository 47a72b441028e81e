import { portCreate, portDelete, portList, portShow, portUpdate } from "../../../lib/schemas/port";
import { createPort, deletePort, listPorts, listPortsText, showPort, updatePort } from "../../domain/ports";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const portRouter = router({
  list: memberProcedure.input(portList).query(({ ctx, input }) => listPorts(ctx.db, ctx.actor, input)),
  /** The same list as JSON text: what the REST API sends as it is (no parse and stringify of 1,000 ports). */
  listText: memberProcedure
    .input(portList)
    .query(({ ctx, input }) => listPortsText(ctx.db, ctx.actor, input)),
  show: memberProcedure.input(portShow).query(({ ctx, input }) => showPort(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(portCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createPort(tx, input))),
  update: adminProcedure
    .input(portUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updatePort(tx, input))),
  delete: adminProcedure
    .input(portDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deletePort(tx, input.id))),
});
