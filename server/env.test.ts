// The agents the server dials, from its environment: one (NETLENS_AGENT_URL) or several (NETLENS_AGENTS), each
// with its token file; a list that cannot be right fails the start with a message naming the entry.
import { describe, expect, it } from "vitest";
import { agentEndpoints, parseEnv } from "./env";

describe("NETLENS_AGENTS", () => {
  it("is the one agent of NETLENS_AGENT_URL when unset", () => {
    expect(agentEndpoints(parseEnv({ NETLENS_AGENT_URL: "http://127.0.0.1:9800" }))).toEqual([
      { url: "http://127.0.0.1:9800", tokenFile: ".netlens/agent/token" },
    ]);
  });

  it("lists agents, each with its own token file or the common one", () => {
    const config = parseEnv({
      NETLENS_AGENTS: " https://compute1:9797=/etc/netlens/compute1.token , https://network1:9797",
      NETLENS_AGENT_TOKEN_FILE: "/etc/netlens/token",
      NETLENS_AGENT_URL: "http://ignored:1",
    });
    expect(agentEndpoints(config)).toEqual([
      { url: "https://compute1:9797", tokenFile: "/etc/netlens/compute1.token" },
      { url: "https://network1:9797", tokenFile: "/etc/netlens/token" },
    ]);
  });

  it("refuses an entry that is no agent URL, an empty token file, a URL twice, an empty list", () => {
    expect(() => parseEnv({ NETLENS_AGENTS: "compute1:9797" })).toThrow(
      "NETLENS_AGENTS: compute1:9797: not an http(s) URL of an agent",
    );
    expect(() => parseEnv({ NETLENS_AGENTS: "http://a:1=" })).toThrow(
      'NETLENS_AGENTS: http://a:1: the token file after "=" is empty',
    );
    expect(() => parseEnv({ NETLENS_AGENTS: "http://a:1,http://a:1=/t" })).toThrow(
      "NETLENS_AGENTS: http://a:1 is listed twice",
    );
    expect(() => parseEnv({ NETLENS_AGENTS: " , " })).toThrow("NETLENS_AGENTS: lists no agent");
  });
});
