// Port forwardings of a floating IP: members read their own project's, admins write.
import {
  portForwardingCreate,
  portForwardingDelete,
  portForwardingList,
  portForwardingShow,
  portForwardingUpdate,
} from "../../../lib/schemas/portForwarding";
import {
  createPortForwarding,
  deletePortForwarding,
  listPortForwardings,
  showPortForwarding,
  updatePortForwarding,
} from "../../domain/portForwardings";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const portForwardingRouter = router({
  list: memberProcedure
    .input(portForwardingList)
    .query(({ ctx, input }) => listPortForwardings(ctx.db, ctx.actor, input.floatingip_id)),
  show: memberProcedure
    .input(portForwardingShow)
    .query(({ ctx, input }) => showPortForwarding(ctx.db, ctx.actor, input.floatingip_id, input.id)),
  create: adminProcedure
    .input(portForwardingCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createPortForwarding(tx, input))),
  update: adminProcedure
    .input(portForwardingUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updatePortForwarding(tx, input))),
  delete: adminProcedure
    .input(portForwardingDelete)
    .mutation(({ ctx, input }) =>
      write(ctx, (tx) => deletePortForwarding(tx, input.floatingip_id, input.id)),
    ),
});
