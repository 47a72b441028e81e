// The only place routers are merged.

import { recheckedCaller } from "./recheck";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { floatingIpRouter } from "./routers/floatingIp";
import { hostRouter } from "./routers/host";
import { inspectRouters } from "./routers/inspect";
import { keypairRouter } from "./routers/keypair";
import { networkRouter } from "./routers/network";
import { portRouter } from "./routers/port";
import { portForwardingRouter } from "./routers/portForwarding";
import { projectRouter } from "./routers/project";
import { roleRouter } from "./routers/role";
import { routerRouter } from "./routers/router";
import { securityGroupRouter } from "./routers/securityGroup";
import { securityGroupRuleRouter } from "./routers/securityGroupRule";
import { serverRouter } from "./routers/server";
import { subnetRouter } from "./routers/subnet";
import { tokenRouter } from "./routers/token";
import { topologyRouter } from "./routers/topology";
import { traceRouter } from "./routers/trace";
import { userRouter } from "./routers/user";
import { createCallerFactory, memberProcedure, router } from "./trpc";

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
  portForwarding: portForwardingRouter,
  securityGroup: securityGroupRouter,
  securityGroupRule: securityGroupRuleRouter,
  server: serverRouter,
  keypair: keypairRouter,
  host: hostRouter,
  trace: traceRouter,
  topology: topologyRouter,
  audit: auditRouter,
  ...inspectRouters,
  /** {kind, id, action} for every committed change and every status the hosts report; tenants hear their own. */
  events: memberProcedure.subscription(async function* ({ ctx, signal }) {
    const caller = recheckedCaller(ctx);
    for await (const event of ctx.bus.stream(signal)) {
      const actor = await caller();
      if (!actor) return;
      const mine =
        actor.role === "admin" ||
        event.action === "resync" ||
        (event.project_id !== undefined && actor.projectIds.includes(event.project_id));
      if (mine) yield { kind: event.kind, id: event.id, action: event.action };
    }
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
