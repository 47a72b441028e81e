// The daemon's configuration: a config file of `key = value` lines or JSON whose keys are the long options, the
// command line over it, the defaults under both; a key that is no option, or an action, is refused by name.
import { describe, expect, it } from "vitest";
import { agentFlags } from "./flags";

const CONF = `# /etc/netlens/agent.conf
listen = 192.0.2.12:9797
tls-cert = /etc/netlens/agent.crt
tls-key = /etc/netlens/agent.key
ovsdb = unix:/run/openvswitch/db.sock
host = host2
role = compute
role = network
bridge-mapping = public:br-ex

local-ip = 192.0.2.12
`;

/** The options of `args` with `text` as the file at /etc/netlens/agent.conf. */
const flags = (args: string[], text: string) =>
  agentFlags(args, (file) => {
    if (file !== "/etc/netlens/agent.conf") throw new Error(`read ${file}`);
    return text;
  });

describe("agent flags and config file", () => {
  it("reads key = value lines, repeats repeatable options, and keeps the defaults of the rest", () => {
    const values = flags(["--config", "/etc/netlens/agent.conf"], CONF);
    expect(values).toMatchObject({
      listen: "192.0.2.12:9797",
      "tls-cert": "/etc/netlens/agent.crt",
      "tls-key": "/etc/netlens/agent.key",
      ovsdb: "unix:/run/openvswitch/db.sock",
      host: "host2",
      role: ["compute", "network"],
      "bridge-mapping": ["public:br-ex"],
      "local-ip": "192.0.2.12",
      "state-dir": ".netlens/agent",
      "log-level": "info",
    });
  });

  it("reads one JSON object the same way, lists for repeatable options", () => {
    const json = JSON.stringify({
      listen: "192.0.2.12:9797",
      role: ["compute"],
      "inspect-interval-ms": 2000,
    });
    expect(flags(["--config", "/etc/netlens/agent.conf"], json)).toMatchObject({
      listen: "192.0.2.12:9797",
      role: ["compute"],
      "inspect-interval-ms": "2000",
    });
  });

  it("lets the command line win: a flag over a line, a repeated flag's list over the file's", () => {
    const values = flags(
      [
        "--config",
        "/etc/netlens/agent.conf",
        "--listen",
        "127.0.0.1:9798",
        "--role",
        "network",
        "--log-level",
        "debug",
      ],
      CONF,
    );
    expect(values).toMatchObject({
      listen: "127.0.0.1:9798",
      role: ["network"],
      "log-level": "debug",
      host: "host2",
    });
    expect(flags(["--listen", "127.0.0.1:1"], "").listen).toBe("127.0.0.1:1");
  });

  it("refuses a key that is no option, naming it and the file's line, and the options that are actions", () => {
    const config = ["--config", "/etc/netlens/agent.conf"];
    expect(() => flags(config, "listen = 127.0.0.1:9797\nlisten_addr = 0.0.0.0:1\n")).toThrow(
      /^\/etc\/netlens\/agent\.conf:2: unknown key "listen_addr" \(the keys are: listen, tls-cert, /,
    );
    expect(() => flags(config, "cleanup = true")).toThrow(/:1: unknown key "cleanup"/);
    expect(() => flags(config, "config = /etc/other.conf")).toThrow(/:1: unknown key "config"/);
    expect(() => flags(config, JSON.stringify({ hots: "host2" }))).toThrow(/ \(hots\): unknown key "hots"/);
    expect(() => flags(config, "host = a\nhost = b")).toThrow(/:2: host is given twice/);
    expect(() => flags(config, "just words")).toThrow(/:1: expected "key = value", got "just words"/);
    expect(() => flags(config, "host =")).toThrow(/:1: host: no value/);
    expect(() => flags(config, "{ not json")).toThrow(/agent\.conf: not valid JSON/);
    expect(() => flags(config, JSON.stringify({ host: { name: "h" } }))).toThrow(/host: expected a string/);
    expect(() => flags(["--colour", "red"], "")).toThrow(/colour/);
  });
});
