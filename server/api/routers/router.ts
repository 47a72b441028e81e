import {
  routerCreate,
  routerDelete,
  routerInterface,
  routerList,
  routerShow,
  routerUpdate,
} from "../../../lib/schemas/router";
import { routerL3Agents } from "../../domain/l3Agents";
import {
  addRouterInterface,
  createRouter,
  deleteRouter,
  listRouters,
  removeRouterInterface,
  showRouter,
  updateRouter,
} from "../../domain/routers";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const routerRouter = router({
  list: memberProcedure.input(routerList).query(({ ctx, input }) => listRouters(ctx.db, ctx.actor, input)),
  show: memberProcedure.input(routerShow).query(({ ctx, input }) => showRouter(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(routerCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createRouter(tx, input, ctx.mtu))),
  update: adminProcedure
    .input(routerUpdate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => updateRouter(tx, input, ctx.mtu))),
  delete: adminProcedure
    .input(routerDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteRouter(tx, input.id))),
  addInterface: adminProcedure
    .input(routerInterface)
    .mutation(({ ctx, input }) => write(ctx, (tx) => addRouterInterface(tx, input))),
  /** The agents hosting it (Neutron's l3-agents of a router), with each one's HA state. */
  l3Agents: adminProcedure
    .input(routerShow)
    .query(({ ctx, input }) => routerL3Agents(ctx.db, ctx.actor, input.id)),
  removeInterface: adminProcedure
    .input(routerInterface)
    .mutation(({ ctx, input }) => write(ctx, (tx) => removeRouterInterface(tx, input))),
});
