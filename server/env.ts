// The server's configuration, validated once at start-up so that a typo fails loudly instead of later.
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave it unset for the embedded database)")
    .optional(),
  NETLENS_DATA_DIR: z.string().trim().min(1).default(".netlens/data"),
  NETLENS_AGENT_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:9797"),
  NETLENS_AGENT_TOKEN_FILE: z.string().trim().min(1).default(".netlens/agent/token"),
  /** Where `npm run up` keeps its state; default: the parent of NETLENS_DATA_DIR (`.netlens`). */
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
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof schema>;

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
