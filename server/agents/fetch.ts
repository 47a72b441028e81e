// How the server's requests reach an agent: Node's fetch, and over https:// trusting the CA in
// NETLENS_AGENT_CA_FILE (an agent's own CA, on another host) instead of the system's. Verification is never
// turned off: a certificate that CA did not sign, or one for another name, fails with an error that says so.
import { readFile } from "node:fs/promises";
import { Agent, fetch as undiciFetch } from "undici";

/** fetch as tRPC's links and the SSE client call it. */
export type AgentFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Node's codes for a certificate that does not verify: the peer is not who the server meant to reach. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNTRUSTED.has(code)) return code;
  }
  return undefined;
}

/** Why the agent's certificate was refused, in words an operator can act on. */
export class AgentCertificateError extends Error {
  constructor(url: string, code: string, caFile: string | undefined) {
    const trusted = caFile === undefined ? "the system's CAs (NETLENS_AGENT_CA_FILE is not set)" : caFile;
    super(
      `The agent at ${new URL(url).origin} presented a certificate this server does not trust (${code}); ` +
        `trusted: ${trusted}. NETLENS_AGENT_CA_FILE must name the CA that signed the agent's --tls-cert, ` +
        `for the name or address in NETLENS_AGENT_URL.`,
    );
    this.name = "AgentCertificateError";
  }
}

/** fetch towards an agent, trusting `caFile`'s CA certificates (PEM) when given. */
export function agentFetch(caFile?: string): AgentFetch {
  let dispatcher: Promise<Agent> | undefined;
  const send: AgentFetch =
    caFile === undefined
      ? (input, init) => fetch(input, init)
      : async (input, init) => {
          dispatcher ??= readFile(caFile, "utf8").then(
            (ca) => new Agent({ connect: { ca } }),
            (error: unknown) => {
              dispatcher = undefined;
              throw new Error(`NETLENS_AGENT_CA_FILE ${caFile}: ${(error as Error).message}`);
            },
          );
          // undici's own fetch: the dispatcher must be of the same undici as the fetch that uses it.
          const answer = await undiciFetch(input as Parameters<typeof undiciFetch>[0], {
            ...(init as Parameters<typeof undiciFetch>[1]),
            dispatcher: await dispatcher,
          });
          return answer as unknown as Response;
        };
  return async (input, init) => {
    try {
      return await send(input, init);
    } catch (error) {
      const code = codeOf(error);
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (code !== undefined) throw new AgentCertificateError(url, code, caFile);
      throw error;
    }
  };
}
