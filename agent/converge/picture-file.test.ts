import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObservedHost } from "../plan/pictures";
import { stillAsPictured, takePicture, writePicture } from "./picture-file";

const log = pino({ level: "silent" });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "netlens-picture-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ns = "t1-qrouter-b0000000-0000-4000-8000-000000000001";

function host(): ObservedHost {
  return {
    namespaces: new Map([
      [
        ns,
        {
          name: ns,
          loUp: true,
          devices: [{ name: "qg-c1000000-00", mac: "fa:16:3e:00:00:01", mtu: 1500, up: true, addresses: [] }],
          routes: [],
          nat: {
            chains: [{ name: "netlens-snat", rules: ["-A netlens-snat -j SNAT --to-source 203.0.113.10"] }],
            jumps: [],
          },
        },
      ],
    ]),
    tunnelPorts: [
      {
        name: "vxlan-c000020c",
        bridge: "br-tun",
        options: { remote_ip: "192.0.2.12", local_ip: "192.0.2.11", in_key: "flow", out_key: "flow" },
        ofport: 3,
      },
    ],
    ovsPorts: [
      {
        name: "tapc1000000-00",
        bridge: "br-int",
        tag: 1,
        externalIds: { "netlens-namespace": ns },
        ofport: 3,
      },
    ],
    flows: new Map([["br-int", ["cookie=0x4e4c, priority=3,in_port=int-br-ex actions=NORMAL"]]]),
    rootLinks: new Map([
      ["tapc1000000-00", { name: "tapc1000000-00", up: true, mtu: 1500 }],
      ["other-veth", { name: "other-veth", up: true, mtu: 1500 }],
    ]),
  };
}

describe("the picture an agent leaves as it stops", () => {
  it("is read back whole, once: the file goes as it is read", async () => {
    const path = join(dir, "picture.json");
    await writePicture(path, host());
    expect(await takePicture(path, log)).toEqual(host());
    expect(await readdir(dir)).toEqual([]);
    expect(await takePicture(path, log)).toBeNull();
  });

  it("is none when the file is unreadable, and is removed all the same", async () => {
    const path = join(dir, "picture.json");
    await writeFile(path, '{"namespaces": [');
    expect(await takePicture(path, log)).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it("still holds while the namespaces, OVS ports, their root ends and flows are as pictured", () => {
    const now = host();
    now.rootLinks.delete("other-veth"); // not a port of ours: others' veths come and go
    now.ovsPorts = [...now.ovsPorts].reverse();
    expect(stillAsPictured(host(), now, new Set([ns]))).toBe(true);
  });

  it("no longer holds when a namespace, a port, a tunnel, its root end or a flow differs", () => {
    expect(stillAsPictured(host(), host(), new Set())).toBe(false);
    expect(stillAsPictured(host(), host(), new Set([ns, `${ns}x`]))).toBe(false);
    const renumbered = host();
    renumbered.ovsPorts = renumbered.ovsPorts.map((p) => ({ ...p, ofport: 7 }));
    expect(stillAsPictured(host(), renumbered, new Set([ns]))).toBe(false);
    const untunnelled = host();
    untunnelled.tunnelPorts = [];
    expect(stillAsPictured(host(), untunnelled, new Set([ns]))).toBe(false);
    const down = host();
    down.rootLinks.set("tapc1000000-00", { name: "tapc1000000-00", up: false, mtu: 1500 });
    expect(stillAsPictured(host(), down, new Set([ns]))).toBe(false);
    const noFlows = host();
    noFlows.flows = new Map([["br-int", []]]);
    expect(stillAsPictured(host(), noFlows, new Set([ns]))).toBe(false);
  });
});
