import { describe, expect, it } from "vitest";
import type { IpJsonLink } from "../../lib/host-snapshot";
import { haState } from "./ha-state";

const link = (
  ifname: string,
  addresses: [string, number][],
  flags = ["BROADCAST", "UP", "LOWER_UP"],
): IpJsonLink => ({
  ifname,
  flags,
  addr_info: addresses.map(([local, prefixlen]) => ({ family: "inet", local, prefixlen })),
});

describe("ha_state", () => {
  const qg = link("qg-c1000000-00", [["203.0.113.10", 24]]);

  it("is active where keepalived holds the primary VIP on ha-", () => {
    const ha = link("ha-c9100000-00", [
      ["169.254.192.1", 18],
      ["169.254.0.1", 24],
    ]);
    expect(haState([qg, ha], true)).toBe("active");
  });

  it("is standby where keepalived runs without it", () => {
    expect(haState([link("qg-c1000000-00", []), link("ha-c9100000-00", [["169.254.192.1", 18]])], true)).toBe(
      "standby",
    );
  });

  it("is fault where keepalived does not run, or ha- is missing or down", () => {
    const ha = link("ha-c9100000-00", [
      ["169.254.192.1", 18],
      ["169.254.0.1", 24],
    ]);
    expect(haState([qg, ha], false)).toBe("fault");
    expect(haState([qg], true)).toBe("fault");
    expect(haState([link("ha-c9100000-00", [["169.254.192.1", 18]], ["BROADCAST", "UP"])], true)).toBe(
      "fault",
    );
  });

  it("does not take an address of the HA network itself for the primary VIP", () => {
    expect(
      haState(
        [
          link("ha-c9100000-00", [
            ["169.254.192.1", 18],
            ["169.254.0.1", 18],
          ]),
        ],
        true,
      ),
    ).toBe("standby");
  });
});
