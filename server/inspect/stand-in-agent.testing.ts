// For tests: a stand-in agent over real HTTP + SSE (the agent's own HostMonitor behind a router with the same
// procedures and bearer check) whose host is one OVS section of the given text.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import pino from "pino";
import { HostMonitor } from "../../agent/read/monitor";
import { contentHash } from "../../agent/read/sections";
import type { HostSections } from "../../lib/host-snapshot";

export const TOKEN = "relay-test-token-0123456789";
const logger = pino({ level: "silent" });

function fakeAgent(text: { value: string }) {
  const started = new Date();
  const monitor = new HostMonitor(
    async () => {
      const sections: HostSections = {
        ovs: { kind: "ovs", hash: contentHash(text.value), text: text.value },
      };
      return { sections, errors: [] };
    },
    () => ({ host: "h1", applied_revision: 3, started_at: started, last_apply_at: null, apply_error: null }),
    { intervalMs: 50, logger },
  );
  const t = initTRPC
    .context<{ ok: boolean }>()
    .create({ sse: { ping: { enabled: true, intervalMs: 1_000 } } });
  const authed = t.procedure.use(({ ctx, next }) => {
    if (!ctx.ok) throw new TRPCError({ code: "UNAUTHORIZED" });
    return next();
  });
  const router = t.router({
    info: authed.query(() => ({
      host: "h1",
      prefix: "t-",
      chain_prefix: "tnat",
      integration_bridge: "t-int",
      bridge_mappings: {},
      applied_revision: 3,
      version: "test",
    })),
    snapshots: authed.subscription(async function* ({ signal }) {
      for await (const { id, event } of monitor.events(null, signal)) yield tracked(id, event);
    }),
  });
  return { router, monitor };
}

/** Serves a stand-in agent on 127.0.0.1 (`port`, or a free one); `text` may change while it runs. */
export async function serve(
  text: { value: string },
  port = 0,
): Promise<{ server: Server; url: string; stop: () => void }> {
  const { router, monitor } = fakeAgent(text);
  const server = createHTTPServer({
    router,
    createContext: ({ req }) => ({ ok: req.headers.authorization === `Bearer ${TOKEN}` }),
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    stop: () => {
      monitor.close();
      server.close();
      server.closeAllConnections();
    },
  };
}

/** What `probe` gives once it gives something, polled every 20 ms; throws after `timeoutMs`. */
export async function until<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
