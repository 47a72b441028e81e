// An agent on another host: it serves its API over HTTPS with a certificate of the operator's CA (made here with
// openssl, as the README says), and the server's agent client reaches it trusting that CA and nothing else:
// a certificate of another CA, or the right CA's for another address, is refused with an error that says why.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Agent } from "../../agent/agent";
import { serveAgent } from "../../agent/api/http";
import type { AgentInfo } from "../../agent/contract/intent";
import { createAgentClient } from "./client";

const INFO: AgentInfo = {
  host: "host2",
  prefix: "t-",
  integration_bridge: "br-int",
  bridge_mappings: {},
  applied_revision: 7,
  version: "test",
};

/** The transport is under test, not the host: an agent that answers `info`, and nothing else is asked. */
const agent = {
  info: () => INFO,
  apply: () => Promise.reject(new Error("not asked")),
} as unknown as Pick<Agent, "info" | "apply" | "monitor" | "tracer">;

let dir: string;
let tokenFile: string;
let token: string;

const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * NAME.crt and NAME.key, as the README makes them: a CA of its own, or (`signedBy`) an agent's certificate for
 * `altName` signed by the CA `ca`.
 */
const makeCert = (name: string, signedBy?: { ca: string; altName: string }) =>
  openssl(
    "req",
    "-x509",
    ...EC,
    ...["-days", "1", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`],
    ...(signedBy === undefined
      ? []
      : [
          ...[
            "-addext",
            `subjectAltName=${signedBy.altName}`,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
          ],
          ...["-CA", `${signedBy.ca}.crt`, "-CAkey", `${signedBy.ca}.key`],
        ]),
  );

const tlsOf = async (name: string) => ({
  cert: await readFile(join(dir, `${name}.crt`), "utf8"),
  key: await readFile(join(dir, `${name}.key`), "utf8"),
});

/** `work` with an agent served over HTTPS with the certificate `name`. */
async function withAgent(name: string, work: (url: string) => Promise<void>) {
  const http = await serveAgent(agent, token, { host: "127.0.0.1", port: 0 }, await tlsOf(name));
  try {
    await work(http.url);
  } finally {
    await http.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "netlens-tls-"));
  token = randomBytes(16).toString("hex");
  tokenFile = join(dir, "token");
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  makeCert("ca");
  makeCert("other-ca");
  makeCert("agent", { ca: "ca", altName: "IP:127.0.0.1" });
  makeCert("stranger", { ca: "other-ca", altName: "IP:127.0.0.1" });
  makeCert("elsewhere", { ca: "ca", altName: "IP:192.0.2.12" });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the agent over TLS", () => {
  it("answers info over https:// to a server that trusts its CA, with the bearer token", async () => {
    await withAgent("agent", async (url) => {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const client = createAgentClient({ url, tokenFile, caFile: join(dir, "ca.crt") });
      expect(await client.info()).toEqual(INFO);
      // Plain HTTP to a TLS port gets no answer of the agent's.
      const plain = createAgentClient({ url: url.replace("https:", "http:"), tokenFile });
      await expect(plain.info()).rejects.toThrow();
    });
  });

  it("refuses an agent whose certificate another CA signed, saying which CA it trusts", async () => {
    await withAgent("stranger", async (url) => {
      const client = createAgentClient({ url, tokenFile, caFile: join(dir, "ca.crt") });
      await expect(client.info()).rejects.toThrow(
        /presented a certificate this server does not trust \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\); trusted: .*ca\.crt/,
      );
    });
  });

  it("refuses the right CA's certificate for another address, and the system's CAs for its own CA", async () => {
    await withAgent("elsewhere", async (url) => {
      const client = createAgentClient({ url, tokenFile, caFile: join(dir, "ca.crt") });
      await expect(client.info()).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID/);
    });
    await withAgent("agent", async (url) => {
      const client = createAgentClient({ url, tokenFile });
      await expect(client.info()).rejects.toThrow(/NETLENS_AGENT_CA_FILE is not set/);
    });
  });
});
