import { hostList, hostWait } from "../../../lib/schemas/host";
import { waitForApplied, wantedRevision } from "../../agents/wait";
import { listHosts } from "../../domain/hosts";
import { withStreamStatus } from "../../inspect/hosts";
import { adminProcedure, router } from "../trpc";

export const hostRouter = router({
  list: adminProcedure
    .input(hostList)
    .query(async ({ ctx }) => withStreamStatus(ctx.inspection, await listHosts(ctx.db))),
  /** Blocks until the hosts applied `revision` (default: everything committed so far) or the timeout passes. */
  wait: adminProcedure.input(hostWait).query(async ({ ctx, input }) => {
    const revision = input.revision ?? (await wantedRevision(ctx.db));
    const applied = await waitForApplied(ctx, revision, input.timeout_ms);
    return { revision, applied, hosts: await listHosts(ctx.db) };
  }),
});
