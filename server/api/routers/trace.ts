// trace.run: the packet path from one end to another, hop by hop, with what decided each hop.
// Admins only: the answer shows the host's raw state (namespaces, rules, flows).
import { traceRun } from "../../../lib/schemas/trace";
import { runTrace } from "../../trace/run";
import { adminProcedure, router } from "../trpc";

export const traceRouter = router({
  run: adminProcedure
    .input(traceRun)
    .mutation(({ ctx, input }) => runTrace({ db: ctx.db, traceAgents: ctx.traceAgents }, input)),
});
