// What the agent remembers across restarts, in one file of its state directory: the revision it applied; per
// part of the host (a namespace, or a bridge's flows), the digest of the intent the host was last left as (null:
// an apply or a removal there failed, so what the host holds there is not known); and the namespaces it made.
// Only a namespace both named like ours and recorded here is ever removed: a `qrouter-<uuid>` of Neutron's own
// L3 agent, or of an operator, is not ours. Written atomically: a crash leaves the old file or the new one,
// never half of one; a file that cannot be read is not fatal.
import { open, readFile, rename } from "node:fs/promises";
import type { Logger } from "pino";
import { type HostIntent, hostIntent } from "../contract/intent";

export type AgentState = {
  applied_revision: number;
  /** Part key -> digest of its part of the intent as the host was left (verified), or null when unknown. */
  settled: Map<string, string | null>;
  /** Namespaces this agent made (or adopted: named by an intent it applied) and that may still exist. */
  owned: Set<string>;
};

export function emptyState(): AgentState {
  return { applied_revision: 0, settled: new Map(), owned: new Set() };
}

/** The saved state; a missing or unreadable file starts from nothing (the host and the next intent decide). */
export async function readState(path: string, log: Logger): Promise<AgentState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { applied_revision?: unknown; settled?: unknown; owned?: unknown };
    const revision = parsed.applied_revision;
    const settled = new Map<string, string | null>();
    if (typeof parsed.settled === "object" && parsed.settled !== null) {
      for (const [key, digest] of Object.entries(parsed.settled)) {
        if (typeof digest === "string" || digest === null) settled.set(key, digest);
      }
    }
    const owned = Array.isArray(parsed.owned) ? parsed.owned.filter((n) => typeof n === "string") : [];
    return {
      applied_revision: typeof revision === "number" && Number.isInteger(revision) ? revision : 0,
      settled,
      owned: new Set(owned),
    };
  } catch (error) {
    log.warn({ path, err: error }, "agent state unreadable: starting from the host and the next intent");
    return emptyState();
  }
}

export async function writeState(path: string, state: AgentState): Promise<void> {
  const body = {
    applied_revision: state.applied_revision,
    settled: Object.fromEntries(state.settled),
    owned: [...state.owned].sort(),
  };
  await writeAtomically(path, `${JSON.stringify(body)}\n`);
}

/**
 * The last intent applied, kept so that an agent that restarts after the host lost what it had (a reboot, an
 * OVS restart) can rebuild it before the server says anything. Unreadable or invalid: none.
 */
export async function readIntent(path: string, log: Logger): Promise<HostIntent | null> {
  try {
    const parsed = hostIntent.safeParse(JSON.parse(await readFile(path, "utf8")));
    if (parsed.success) return parsed.data;
    log.warn({ path }, "saved intent is not valid: waiting for the server's");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      log.warn({ path, err: error }, "saved intent unreadable: waiting for the server's");
  }
  return null;
}

export async function writeIntent(path: string, intent: HostIntent): Promise<void> {
  const { repair: _repair, ...kept } = intent;
  await writeAtomically(path, `${JSON.stringify(kept)}\n`);
}

/** Temp file, fsync, rename: the rename is atomic, the fsync makes it durable before it happens. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}
