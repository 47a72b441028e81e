// trace.run: the packet path from one end to another, hop by hop, with what decided each hop.
// Admins read the host's raw state (namespaces, rules, flows); members trace their own project's paths and read
// them with the host's internals masked (server/trace/tenant-view.ts).
import { traceRun } from "../../../lib/schemas/trace";
import { runTrace } from "../../trace/run";
import { memberProcedure, router } from "../trpc";

export const traceRouter = router({
  run: memberProcedure
    .input(traceRun)
    .mutation(({ ctx, input }) => runTrace({ db: ctx.db, traceAgents: ctx.traceAgents }, ctx.actor, input)),
});
