// Matching our nat rules the way netfilter walks them, on rules as iptables-save prints them.
import { describe, expect, it } from "vitest";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { walkChain } from "./nat";

const rules = [
  ["PREROUTING", "-A PREROUTING -j p-PREROUTING"],
  ["POSTROUTING", "-A POSTROUTING -j p-POSTROUTING"],
  ["POSTROUTING", "-A POSTROUTING -j p-snat"],
  ["p-POSTROUTING", "-A p-POSTROUTING ! -i qg-1 ! -o qg-1 -m conntrack ! --ctstate DNAT -j ACCEPT"],
  ["p-PREROUTING", "-A p-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5"],
  ["p-float-snat", "-A p-float-snat -s 10.0.0.5/32 -j SNAT --to-source 203.0.113.20"],
  ["p-snat", "-A p-snat -j p-float-snat"],
  ["p-snat", "-A p-snat -o qg-1 -j SNAT --to-source 203.0.113.10"],
].map(([chain, rule]): NatRuleCounters => ({ chain: chain ?? "", rule: rule ?? "", packets: 0, bytes: 0 }));

describe("nat chains", () => {
  it("DNATs a floating IP in PREROUTING", () => {
    const v = walkChain(rules, "PREROUTING", {
      src: "203.0.113.1",
      dst: "203.0.113.20",
      iif: "qg-1",
      oif: null,
      dnatted: false,
    });
    expect(v.rule?.to).toBe("10.0.0.5");
  });

  it("leaves traffic between the router's subnets alone (the ACCEPT ends the nat walk)", () => {
    const v = walkChain(rules, "POSTROUTING", {
      src: "10.0.0.5",
      dst: "10.0.1.5",
      iif: "qr-a",
      oif: "qr-b",
      dnatted: false,
    });
    expect(v.rule?.target).toBe("ACCEPT");
  });

  it("SNATs to the floating IP before the gateway, and others to the gateway", () => {
    const out = { dst: "203.0.113.1", iif: "qr-a", oif: "qg-1", dnatted: false };
    expect(walkChain(rules, "POSTROUTING", { ...out, src: "10.0.0.5" }).rule?.to).toBe("203.0.113.20");
    expect(walkChain(rules, "POSTROUTING", { ...out, src: "10.0.0.6" }).rule?.to).toBe("203.0.113.10");
  });

  it("a DNATed packet leaving by a qr- device is not accepted untranslated, and has no SNAT to take", () => {
    const v = walkChain(rules, "POSTROUTING", {
      src: "203.0.113.1",
      dst: "10.0.0.5",
      iif: "qg-1",
      oif: "qr-a",
      dnatted: true,
    });
    expect(v.rule).toBeNull();
  });

  it("never takes a rule it does not understand to match", () => {
    const odd: NatRuleCounters = {
      chain: "PREROUTING",
      rule: "-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.9",
      packets: 0,
      bytes: 0,
    };
    expect(
      walkChain([odd], "PREROUTING", { src: "1.1.1.1", dst: "2.2.2.2", iif: null, oif: null, dnatted: false })
        .rule,
    ).toBeNull();
  });
});
