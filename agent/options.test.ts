import { describe, expect, it } from "vitest";
import { parseAgentOptions } from "./options";

const base = { ovsdb: "unix:/run/netlens/db.sock", stateDir: "/var/lib/netlens" };

describe("agent options", () => {
  it("takes a host's name, roles and tunnel endpoint; both roles by default", () => {
    expect(parseAgentOptions(base)).toMatchObject({ roles: ["compute", "network"], tunnelBridge: "br-tun" });
    const options = parseAgentOptions({
      ...base,
      host: "compute1.lab",
      roles: ["compute", "compute"],
      localIp: "192.0.2.11",
    });
    expect(options).toMatchObject({ host: "compute1.lab", roles: ["compute"], localIp: "192.0.2.11" });
    expect(parseAgentOptions({ ...base, hostNetns: "lab-compute1" }).hostNetns).toBe("lab-compute1");
  });

  it("refuses a host name, role or local IP that is not one, naming it", () => {
    expect(() => parseAgentOptions({ ...base, host: "compute_1" })).toThrow(/Host name: DNS labels/);
    expect(() => parseAgentOptions({ ...base, roles: ["storage"] })).toThrow(/roles/);
    expect(() => parseAgentOptions({ ...base, localIp: "192.0.2.300" })).toThrow(
      /Invalid IP address 192.0.2.300/,
    );
    expect(() => parseAgentOptions({ ...base, tunnelBridge: "br-int" })).toThrow(/bridges must differ/);
    expect(() => parseAgentOptions({ ...base, hostNetns: "../root" })).toThrow(
      /Host namespace: 1-64 characters/,
    );
  });
});
