// The graph's data in one call: the topology a viewer may see (server/domain/topologyView.ts).
import { readTopology } from "../../domain/topologyView";
import { memberProcedure, router } from "../trpc";

export const topologyRouter = router({
  get: memberProcedure.query(({ ctx }) => readTopology(ctx.db, ctx.actor)),
});
