// The API over HTTP for the CLI's tests: the same router Next serves, authenticated as the server authenticates
// (bearer token or cookie), on a free port of 127.0.0.1, over the test API's services; and the real `netlens`
// command run against it.
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { run } from "../../agent/host/exec";
import { appRouter } from "../../server/api/root";
import { createRequestContext, type Services } from "../../server/api/trpc";
import { requestFacts, toHeaders } from "../../server/auth/http";
import { createTestApi, type TestApi } from "../../server/testkit";

export async function serveApi(services: Services): Promise<{ url: string; close: () => Promise<void> }> {
  const http = createHTTPServer({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req, res }) =>
      createRequestContext(
        services,
        requestFacts(toHeaders(req.headers), null, (cookie) => res.appendHeader("set-cookie", cookie)),
      ),
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

const netlens = fileURLToPath(new URL("../netlens", import.meta.url));

/** `netlens ARGS` with only `env` for its NETLENS_* settings: the caller's own must not leak in. */
export function runNetlens(env: Record<string, string>, args: string[]) {
  // Unset (undefined is left out of the child's environment).
  const unset = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith("NETLENS_"))
      .map((k) => [k, undefined]),
  );
  return run(netlens, args, { env: { ...process.env, ...unset, ...env }, allowFailure: true });
}

/**
 * `api` served over HTTP (at `url`) and `netlens` run against it with an admin token named `tokenName`; `json` runs
 * a command with `-f json` and refuses any word on stderr.
 */
export async function adminCli(api: TestApi, tokenName: string) {
  const server = await serveApi(api.services);
  const { token } = await api.admin.caller.token.issue({ name: tokenName });
  const cli = (...args: string[]) => runNetlens({ NETLENS_URL: server.url, NETLENS_TOKEN: token }, args);
  const json = async (...args: string[]) => {
    const out = await cli(...args, "-f", "json");
    if (out.stderr !== "") throw new Error(`netlens ${args.join(" ")} wrote to stderr: ${out.stderr}`);
    return JSON.parse(out.stdout);
  };
  return { url: server.url, cli, json, close: server.close };
}

/** A CLI test file's set-up: a test API (`options` as createTestApi's), served, with `adminCli`'s commands. */
export async function servedAdminCli(tokenName: string, options?: Parameters<typeof createTestApi>[0]) {
  const api = await createTestApi(options);
  const served = await adminCli(api, tokenName);
  return {
    ...served,
    api,
    close: async () => {
      await served.close();
      await api.close();
    },
  };
}
