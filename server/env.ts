// The server's configuration, validated once at start-up so that a typo fails loudly instead of later.
import { z } from "zod";
import { physicalNetworkName } from "../lib/schemas/common";
import { parseTrustedProxies } from "./auth/proxies";
import { MAX_MTU, MIN_MTU, parsePhysnetMtus, VXLAN_OVERHEAD } from "./domain/mtu";

/** A duration in whole seconds, as Keystone's `[token] expiration` is given. */
const seconds = (fallback: number) =>
  z.coerce.number().int("must be whole seconds").positive("must be more than 0 seconds").default(fallback);

const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave it unset for the embedded database)")
    .optional(),
  NETLENS_DATA_DIR: z.string().trim().min(1).default(".netlens/data"),
  NETLENS_AGENT_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:9797"),
  NETLENS_AGENT_TOKEN_FILE: z.string().trim().min(1).default(".netlens/agent/token"),
  /**
   * The CA (PEM) that signed the agents' certificates, for https:// agent URLs (agents on other hosts); unset:
   * the system's CAs. Verification is never turned off.
   */
  NETLENS_AGENT_CA_FILE: z.string().trim().min(1).optional(),
  /**
   * Several hosts: every agent's URL, comma-separated, each with its token file after `=` when it is not
   * NETLENS_AGENT_TOKEN_FILE (`https://compute1:9797=/etc/netlens/compute1.token,https://network1:9797`). Set, it
   * replaces NETLENS_AGENT_URL.
   */
  NETLENS_AGENTS: z
    .string()
    .optional()
    .transform((list, ctx) => {
      if (list === undefined) return undefined;
      try {
        return parseAgentList(list);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Where the server leaves what it makes on a first start (passwords, the CLI's token); default: the parent of
   * NETLENS_DATA_DIR. `npm run up` gives it the web server's own directory, `.netlens/web`.
   */
  NETLENS_STATE_DIR: z.string().trim().min(1).optional(),
  /** The first admin's password on an empty database; default: a random one, written to the state directory. */
  NETLENS_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /** The demo tenant's password on an empty database; default: random, like the admin's. */
  NETLENS_DEMO_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /**
   * Seed the demo topology on the database's first start (1/true/yes; default: no). Later starts never seed,
   * whatever they say: a demo the admins deleted stays deleted (server/seed.ts).
   */
  NETLENS_SEED_DEMO: z.stringbool().default(false),
  /**
   * Reverse proxies in front of the server (addresses or CIDRs, comma-separated): only their X-Forwarded-For and
   * X-Forwarded-Proto count. Default: none, so a client's own headers never pick the address it is throttled by.
   */
  NETLENS_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((list, ctx) => {
      try {
        return parseTrustedProxies(list);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Neutron's `global_physnet_mtu`: the MTU of the underlying physical network (default 1500). Flat and vlan
   * networks take it (or their physical network's), vxlan networks 50 bytes less, local networks all of it.
   */
  NETLENS_GLOBAL_PHYSNET_MTU: z.coerce
    .number()
    .int("must be a whole number of bytes")
    .min(
      MIN_MTU + VXLAN_OVERHEAD,
      `must be at least ${MIN_MTU + VXLAN_OVERHEAD} (a VXLAN network takes 50 less)`,
    )
    .max(MAX_MTU, `must be at most ${MAX_MTU}`)
    .default(1500),
  /**
   * Neutron's `physical_network_mtus`: `physnet1:1500,physnet2:9000`, the physical networks whose MTU differs
   * from the global one (capped to it, as Neutron does).
   */
  NETLENS_PHYSICAL_NETWORK_MTUS: z
    .string()
    .default("")
    .transform((list, ctx) => {
      try {
        return parsePhysnetMtus(list, (name) => physicalNetworkName.safeParse(name).success);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Neutron's agent_down_time (default 45 s): an agent not heard from for this long is down (the scheduler passes
   * it over, `host list` says so); down twice as long, its legacy routers move to a live network node.
   */
  NETLENS_AGENT_DOWN_TIME: seconds(45),
  /** How long an API token is valid after it is issued (default 12 h). */
  NETLENS_TOKEN_EXPIRATION: seconds(12 * 3600),
  /** A browser session ends after this long without a request (default 2 h)... */
  NETLENS_SESSION_IDLE_TIMEOUT: seconds(2 * 3600),
  /** ...and this long after the login, however busy (default 12 h). */
  NETLENS_SESSION_LIFETIME: seconds(12 * 3600),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof schema>;

/** An agent the server dials; `tokenFile` absent: NETLENS_AGENT_TOKEN_FILE. */
export type AgentEndpoint = { url: string; tokenFile?: string };

const agentUrl = z.url({ protocol: /^https?$/ });

/** `url[=tokenfile],...` as NETLENS_AGENTS takes it; a URL given twice would be two dispatchers for one agent. */
export function parseAgentList(list: string): AgentEndpoint[] {
  const entries = list
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) throw new Error("lists no agent (url[=token file], comma-separated)");
  const seen = new Set<string>();
  return entries.map((entry) => {
    const at = entry.indexOf("=");
    const url = (at < 0 ? entry : entry.slice(0, at)).trim();
    const tokenFile = at < 0 ? undefined : entry.slice(at + 1).trim();
    if (!agentUrl.safeParse(url).success) throw new Error(`${url || entry}: not an http(s) URL of an agent`);
    if (tokenFile === "") throw new Error(`${url}: the token file after "=" is empty`);
    if (seen.has(url)) throw new Error(`${url} is listed twice`);
    seen.add(url);
    return tokenFile === undefined ? { url } : { url, tokenFile };
  });
}

/** The agents to dial: NETLENS_AGENTS, else the one of NETLENS_AGENT_URL; each with its token file. */
export const agentEndpoints = (config: Env): Required<AgentEndpoint>[] =>
  (config.NETLENS_AGENTS ?? [{ url: config.NETLENS_AGENT_URL }]).map((a) => ({
    url: a.url,
    tokenFile: a.tokenFile ?? config.NETLENS_AGENT_TOKEN_FILE,
  }));

export function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable means "not set", as shells and .env files commonly write it.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
