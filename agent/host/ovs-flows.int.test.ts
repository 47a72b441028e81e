// Our flows on a real bridge (OVS sandbox, dummy datapath): strict removals touch only our cookie's flow of that
// match, and a filtered dump returns what plan/flow-filter.ts takes it to return.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commonMatch, covered } from "../plan/flow-filter";
import { type Sandbox, startSandbox } from "../testing/host";
import { run } from "./exec";
import { Ovs } from "./ovs";

const tag = randomBytes(2).toString("hex");
const bridge = `o${tag}-int`;
let sandbox: Sandbox;
let ovs: Ovs;

const rule = (mac: string, port: number) =>
  `cookie=0x4e4c,table=82,priority=70,ct_state=+new-est+trk,tcp,reg6=0x1,dl_dst=${mac},tp_dst=${port} actions=ct(commit,zone=1),NORMAL`;
const macs = Array.from({ length: 20 }, (_, i) => `fa:16:3e:00:00:${i.toString(16).padStart(2, "0")}`);

beforeAll(async () => {
  sandbox = await startSandbox(`ovs-flows-${tag}`);
  ovs = new Ovs(sandbox.db, sandbox.dir);
  await run("ovs-vsctl", [
    `--db=${sandbox.db}`,
    "add-br",
    bridge,
    "--",
    "set",
    "Bridge",
    bridge,
    "datapath_type=dummy",
    "fail_mode=secure",
  ]);
});

afterAll(async () => {
  await sandbox?.stop();
});

describe("our flows on a bridge", () => {
  it("removes our flows strictly and leaves another cookie's flow of the same match", async () => {
    const ours = macs.flatMap((mac) => [rule(mac, 22), rule(mac, 80)]);
    await ovs.modifyFlows(bridge, ours, []);
    // Someone else's flow of exactly the match and priority of one of ours replaces it (one flow per match).
    const foreign = rule(macs[0] ?? "", 22).replace("cookie=0x4e4c", "cookie=0x1");
    await run("ovs-ofctl", ["add-flow", `unix:${sandbox.dir}/${bridge}.mgmt`, foreign]);
    await ovs.modifyFlows(
      bridge,
      [],
      macs.map((mac) => rule(mac, 22)),
    );
    expect(await ovs.dumpFlows(bridge)).toEqual(macs.map((mac) => rule(mac, 80)).sort());
    expect(await ovs.dumpFlows(bridge, "0x1")).toHaveLength(1);
  });

  it("reads back with a filter exactly the flows the filter covers", async () => {
    await ovs.modifyFlows(
      bridge,
      macs.map((mac) => rule(mac, 443)),
      [],
    );
    const all = await ovs.dumpFlows(bridge);
    const filter = commonMatch(macs.map((mac) => rule(mac, 443)));
    expect(filter).toContain("tp_dst=443");
    const read = await ovs.dumpFlows(bridge, "0x4e4c", filter);
    expect(read).toEqual(all.filter((f) => covered(f, filter)));
    expect(read).toHaveLength(macs.length);
  });
});
