import { describe, expect, it } from "vitest";
import { commonMatch, covered, mergeFlows } from "./flow-filter";

const ssh = (mac: string) =>
  `cookie=0x4e4c,table=82,priority=70,ct_state=+new-est+trk,tcp,reg6=0x1,dl_dst=${mac},tp_dst=22 actions=ct(commit,zone=1),output:tap`;
const web =
  "cookie=0x4e4c,table=82,priority=70,ct_state=+new-est+trk,tcp,reg6=0x1,dl_dst=fa:16:3e:00:00:01,tp_dst=80 actions=drop";
const classify = "cookie=0x4e4c,priority=10,in_port=tap1 actions=resubmit(,71)";

describe("flow filters", () => {
  it("keeps the match fields every changed flow shares, never the cookie, priority or actions", () => {
    expect(commonMatch([ssh("fa:16:3e:00:00:01"), ssh("fa:16:3e:00:00:02")])).toEqual([
      "table=82",
      "ct_state=+new-est+trk",
      "tcp",
      "reg6=0x1",
      "tp_dst=22",
    ]);
    expect(commonMatch([ssh("fa:16:3e:00:00:01"), classify])).toEqual([]);
    expect(commonMatch([])).toEqual([]);
  });

  it("takes the covered flows from the read and the others from the picture", () => {
    const filter = commonMatch([ssh("fa:16:3e:00:00:01"), ssh("fa:16:3e:00:00:02")]);
    expect(covered(web, filter)).toBe(false);
    // ssh of :01 was removed, ssh of :02 added: the read returns only :02; web and classify were not read.
    const merged = mergeFlows([classify, ssh("fa:16:3e:00:00:01"), web], filter, [ssh("fa:16:3e:00:00:02")]);
    expect(merged).toEqual([classify, ssh("fa:16:3e:00:00:02"), web].sort());
  });

  it("takes a field whole: not as the start of another, not in the actions, and as the last one", () => {
    expect(covered(ssh("fa:16:3e:00:00:01"), ["tp_dst=22"])).toBe(true);
    expect(covered(ssh("fa:16:3e:00:00:01"), ["tp_dst=2"])).toBe(false);
    expect(covered(ssh("fa:16:3e:00:00:01"), ["commit"])).toBe(false);
    expect(covered(classify, ["in_port=tap1"])).toBe(true);
    expect(covered(classify, ["in_port=tap"])).toBe(false);
  });
});
