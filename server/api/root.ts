// The only place routers are merged.
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { floatingIpRouter } from "./routers/floatingIp";
import { hostRouter } from "./routers/host";
import { inspectRouters } from "./routers/inspect";
import { networkRouter } from "./routers/network";
import { portRouter } from "./routers/port";
import { projectRouter } from "./routers/project";
import { roleRouter } from "./routers/role";
import { routerRouter } from "./routers/router";
import { serverRouter } from "./routers/server";
import { subnetRouter } from "./routers/subnet";
import { tokenRouter } from "./routers/token";
import { traceRouter } from "./routers/trace";
import { userRouter } from "./routers/user";
import { createCallerFactory, memberProcedure, router, type Session } from "./trpc";

/** A long-lived subscription looks its caller up again this often, so that logout or revocation ends it. */
const RECHECK_MS = 30_000;

export const appRouter = router({
  auth: authRouter,
  token: tokenRouter,
  user: userRouter,
  role: roleRouter,
  project: projectRouter,
  network: networkRouter,
  subnet: subnetRouter,
  port: portRouter,
  router: routerRouter,
  floatingIp: floatingIpRouter,
  server: serverRouter,
  host: hostRouter,
  trace: traceRouter,
  audit: auditRouter,
  ...inspectRouters,
  /** {kind, id, action} for every committed change and every status the hosts report; tenants hear their own. */
  events: memberProcedure.subscription(async function* ({ ctx, signal }) {
    let actor: Pick<Session, "role" | "projectIds"> = ctx.actor;
    let checked = Date.now();
    for await (const event of ctx.bus.stream(signal)) {
      if (ctx.reauthenticate && Date.now() - checked > RECHECK_MS) {
        const again = await ctx.reauthenticate();
        if (!again) return;
        actor = again;
        checked = Date.now();
      }
      const mine =
        actor.role === "admin" ||
        (event.project_id !== undefined && actor.projectIds.includes(event.project_id));
      if (mine) yield { kind: event.kind, id: event.id, action: event.action };
    }
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
