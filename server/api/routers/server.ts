import { serverSecurityGroup } from "../../../lib/schemas/securityGroup";
import {
  serverCreate,
  serverDelete,
  serverFloatingIp,
  serverList,
  serverShow,
} from "../../../lib/schemas/server";
import {
  addServerFloatingIp,
  changeServerSecurityGroup,
  createServer,
  deleteServer,
  listServers,
  removeServerFloatingIp,
  showServer,
} from "../../domain/servers";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const serverRouter = router({
  list: memberProcedure.input(serverList).query(({ ctx, input }) => listServers(ctx.db, ctx.actor, input)),
  show: memberProcedure.input(serverShow).query(({ ctx, input }) => showServer(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(serverCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createServer(tx, input))),
  delete: adminProcedure
    .input(serverDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteServer(tx, input.id))),
  addFloatingIp: adminProcedure
    .input(serverFloatingIp)
    .mutation(({ ctx, input }) => write(ctx, (tx) => addServerFloatingIp(tx, input))),
  removeFloatingIp: adminProcedure
    .input(serverFloatingIp)
    .mutation(({ ctx, input }) => write(ctx, (tx) => removeServerFloatingIp(tx, input))),
  addSecurityGroup: adminProcedure
    .input(serverSecurityGroup)
    .mutation(({ ctx, input }) => write(ctx, (tx) => changeServerSecurityGroup(tx, input, "add"))),
  removeSecurityGroup: adminProcedure
    .input(serverSecurityGroup)
    .mutation(({ ctx, input }) => write(ctx, (tx) => changeServerSecurityGroup(tx, input, "remove"))),
});
