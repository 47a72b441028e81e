// The CLI's connection to the netlens API: where it is, who the CLI is there, and how its errors are shown.
// Credentials follow the openstack CLI's habits: NETLENS_TOKEN (like OS_TOKEN), else NETLENS_USERNAME and
// NETLENS_PASSWORD (+ NETLENS_PROJECT) to log in, else the token `npm run up` left in .netlens/web/cli-token.
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { CLIENT_HEADER } from "../lib/client-header";
import type { AppRouter } from "../server/api/root";

/** The checkout: the nearest folder above this file with a package.json (the CLI runs from cli/ or its bundle). */
function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, "package.json"))) return dir;
  return from;
}
const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** How the audit log names the CLI (Node's fetch would say "node"). */
const USER_AGENT = "netlens-cli";

const stateDir = () => process.env.NETLENS_STATE_DIR ?? join(repoRoot, ".netlens");
/** Where the web server (its own unprivileged user) leaves the CLI's token, in `npm run up`'s state directory. */
const tokenFile = () => join(stateDir(), "web", "cli-token");

/**
 * A regular file's text, trimmed. Not through a symlink nor from a FIFO: the token's directory belongs to the
 * web server's user, and a CLI run as root must not be made to read (and send as its token) a file of root's,
 * or to hang.
 */
function readState(path: string): string | undefined {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      return fstatSync(fd).isFile() ? readFileSync(fd, "utf8").trim() || undefined : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** NETLENS_URL, else the address `npm run up` wrote, else its default. */
function apiUrl(): string {
  return process.env.NETLENS_URL || readState(join(stateDir(), "url")) || "http://127.0.0.1:3000";
}

export type Credentials =
  | { kind: "token"; token: string; source: string }
  | { kind: "password"; username: string; password: string; project: string | undefined }
  | { kind: "none" };

function credentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  if (env.NETLENS_TOKEN) return { kind: "token", token: env.NETLENS_TOKEN, source: "NETLENS_TOKEN" };
  if (env.NETLENS_USERNAME || env.NETLENS_PASSWORD) {
    return {
      kind: "password",
      username: env.NETLENS_USERNAME ?? "",
      password: env.NETLENS_PASSWORD ?? "",
      project: env.NETLENS_PROJECT || undefined,
    };
  }
  const token = readState(tokenFile());
  return token ? { kind: "token", token, source: tokenFile() } : { kind: "none" };
}

/** Logs in with a password and answers the session cookie to send with the following calls. */
async function login(url: string, c: Extract<Credentials, { kind: "password" }>): Promise<string> {
  const res = await fetch(`${url}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", [CLIENT_HEADER]: "cli", "user-agent": USER_AGENT },
    body: JSON.stringify({ username: c.username, password: c.password, project: c.project }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(
      `Login as ${c.username || "(no NETLENS_USERNAME)"} failed: ${body?.error?.message ?? res.status}`,
    );
  }
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("netlens_session="));
  if (!cookie) throw new Error("Login answered no session cookie");
  return cookie.split(";")[0] ?? "";
}

export function createClient(url = apiUrl(), creds = credentials()) {
  const headers: Record<string, string> = { [CLIENT_HEADER]: "cli", "user-agent": USER_AGENT };
  if (creds.kind === "token") headers.authorization = `Bearer ${creds.token}`;
  let session: Promise<string> | undefined;
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        headers,
        // With a password, the first call logs in (one scrypt on the server); the others reuse its cookie.
        fetch:
          creds.kind === "password"
            ? async (input, init) => {
                session ??= login(url, creds);
                const withCookie = new Headers(init?.headers);
                withCookie.set("cookie", await session);
                return fetch(input, { ...init, headers: withCookie });
              }
            : undefined,
      }),
    ],
  });
}

export type Client = ReturnType<typeof createClient>;

/** The API's message (and each field's, for bad input), as openstack prints "BadRequest: ...". */
export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as
      | { code?: string; zodError?: { fieldErrors?: Record<string, string[]> } }
      | undefined;
    const fields = Object.entries(data?.zodError?.fieldErrors ?? {}).map(([f, m]) => `${f}: ${m.join("; ")}`);
    const cause = (error.cause as { code?: string; cause?: { code?: string } } | undefined) ?? {};
    if (
      cause.code === "ECONNREFUSED" ||
      cause.cause?.code === "ECONNREFUSED" ||
      /fetch failed/.test(error.message)
    ) {
      return `Cannot reach the netlens API at ${apiUrl()} (is \`npm run up\` running?)`;
    }
    if (data?.code === "UNAUTHORIZED" && credentials().kind === "none") {
      return `${error.message}: set NETLENS_TOKEN, or NETLENS_USERNAME and NETLENS_PASSWORD (\`npm run up\` leaves a token in ${tokenFile()})`;
    }
    return fields.length > 0 ? fields.join("\n") : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
