// Several servers on one PostgreSQL: each server's events reach every other server's subscribers through
// NOTIFY on one channel, heard by a LISTEN on a connection of its own. Each event is delivered once per server:
// at once to the server that emitted it, and from the channel to the others (a server skips what it sent).
// While a server's connection is down, what it emits waits in a backlog and goes out in order once it is back;
// what it may have missed meanwhile it cannot know, so its own subscribers are told to read everything again.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { type ChangeEvent, type EventBus, RESYNC, resourceKinds } from "./events";

export const EVENTS_CHANNEL = "netlens_events";

/** Events kept while disconnected; past it the oldest go, and the other servers are told to resync instead. */
const BACKLOG_LIMIT = 10_000;

/**
 * What goes on the channel. Events carry ids, never the resources (subscribers read those from the database),
 * so a payload stays far below NOTIFY's 8000-byte limit.
 */
const notice = z.object({
  origin: z.string(),
  event: z.object({
    kind: z.enum(resourceKinds),
    id: z.string(),
    action: z.enum(["create", "update", "delete", "status", "resync"]),
    project_id: z.string().optional(),
  }),
});

export type SharedEvents = { close(): Promise<void> };

/** Anyone with access to the database may NOTIFY on the channel: what is not JSON is not an event. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Connects `bus` to the other servers' buses. A lost connection is made again after `retryMs`; then the events
 * emitted meanwhile are sent, and this server's subscribers get a resync for those it may not have heard.
 */
export async function shareEvents(
  bus: EventBus,
  connect: (purpose: string) => Promise<pg.Client>,
  logger: Logger,
  retryMs = 1000,
): Promise<SharedEvents> {
  const origin = randomUUID();
  let client: pg.Client | undefined;
  let closed = false;
  let sending: Promise<void> = Promise.resolve();

  const hear = (message: pg.Notification) => {
    if (message.channel !== EVENTS_CHANNEL) return;
    const parsed = notice.safeParse(parseJson(message.payload ?? ""));
    if (!parsed.success) {
      logger.warn({ payload: message.payload }, "ignored a malformed event notification");
      return;
    }
    if (parsed.data.origin !== origin) bus.receive(parsed.data.event);
  };

  const open = async () => {
    const opened = await connect("netlens events");
    const lost = (error?: Error) => {
      if (client !== opened) return;
      client = undefined;
      opened.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ err: error }, "lost the event channel's connection; reconnecting");
      setTimeout(reopen, retryMs).unref();
    };
    opened.on("notification", hear);
    opened.on("error", lost);
    opened.on("end", () => lost());
    try {
      await opened.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      await opened.end().catch(() => undefined);
      throw error;
    }
    client = opened;
  };
  const reopen = () => {
    if (closed) return;
    open().then(caughtUp, (error: unknown) => {
      logger.warn({ err: error }, "could not reconnect the event channel; retrying");
      setTimeout(reopen, retryMs).unref();
    });
  };

  // One connection sends them all, one after the other: the other servers hear this server's events in order.
  let backlog: ChangeEvent[] = [];
  let overflowed = false;
  const notify = (event: ChangeEvent) => {
    const payload = JSON.stringify({ origin, event } satisfies z.infer<typeof notice>);
    sending = sending
      .then(async () => {
        if (!client) throw new Error("the event channel is disconnected");
        await client.query("SELECT pg_notify($1, $2)", [EVENTS_CHANNEL, payload]);
      })
      .catch((error: unknown) => {
        logger.warn(
          { err: error, event },
          "an event did not reach the other servers; kept for the reconnect",
        );
        keep(event);
      });
  };
  const keep = (event: ChangeEvent) => {
    backlog.push(event);
    if (backlog.length > BACKLOG_LIMIT) {
      backlog = backlog.slice(-BACKLOG_LIMIT);
      overflowed = true;
    }
  };
  const send = (event: ChangeEvent) => (client ? notify(event) : keep(event));
  const caughtUp = () => {
    const pending = overflowed ? [RESYNC, ...backlog] : backlog;
    backlog = [];
    overflowed = false;
    for (const event of pending) notify(event);
    bus.receive(RESYNC);
  };

  await open();
  const stopForwarding = bus.forwardTo(send);
  return {
    async close() {
      closed = true;
      stopForwarding();
      await sending;
      const last = client;
      client = undefined;
      await last?.end();
    },
  };
}
