// Committed changes and status changes, for the UI (tRPC subscription) and the dispatcher (kicks). In-process;
// with several servers on one PostgreSQL, server/events-postgres.ts carries them between the servers.
import { EventEmitter, on } from "node:events";

export const resourceKinds = [
  "project",
  "network",
  "subnet",
  "port",
  "router",
  "floating_ip",
  "security_group",
  "security_group_rule",
  "server",
  "host",
] as const;
export type ResourceKind = (typeof resourceKinds)[number];

export type ChangeEvent = {
  kind: ResourceKind;
  id: string;
  /**
   * "status" comes from the dispatcher (what the host did), the others from API mutations, but "resync": events
   * may have been missed (the channel between servers was down), so anything may have changed.
   */
  action: "create" | "update" | "delete" | "status" | "resync";
  /** Owner, so that tenants only hear about their own project. Absent for hosts. */
  project_id?: string;
};

/** Tells every subscriber (tenants too: it names nothing) to read everything again. */
export const RESYNC: ChangeEvent = { kind: "project", id: "*", action: "resync" };

export class EventBus {
  readonly #emitter = new EventEmitter();
  #forward: ((event: ChangeEvent) => void) | undefined;

  constructor() {
    // Every open UI tab holds one listener.
    this.#emitter.setMaxListeners(0);
  }

  /** An event of this server: delivered here, and forwarded to the other servers when they are connected. */
  emit(event: ChangeEvent): void {
    this.#emitter.emit("change", event);
    this.#forward?.(event);
  }

  /** An event another server emitted (and already delivered to its own subscribers): delivered here only. */
  receive(event: ChangeEvent): void {
    this.#emitter.emit("change", event);
  }

  /** Hands every event emitted here to `forward` too, until the returned function is called. */
  forwardTo(forward: (event: ChangeEvent) => void): () => void {
    if (this.#forward) throw new Error("The event bus already forwards its events");
    this.#forward = forward;
    return () => {
      if (this.#forward === forward) this.#forward = undefined;
    };
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#emitter.on("change", listener);
    return () => this.#emitter.off("change", listener);
  }

  async *stream(signal?: AbortSignal): AsyncGenerator<ChangeEvent> {
    try {
      for await (const [event] of on(this.#emitter, "change", { signal })) yield event as ChangeEvent;
    } catch (error) {
      // Aborting is how a subscriber leaves: not an error.
      if (!(signal?.aborted ?? false)) throw error;
    }
  }
}
