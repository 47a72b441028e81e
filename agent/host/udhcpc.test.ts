import { describe, expect, it } from "vitest";
import { parseLease } from "./udhcpc";

const bound = (vars: string) => `@@ deconfig\ninterface=eth0\n@@ bound\ninterface=eth0\n${vars}\n`;

describe("a lease as udhcpc hands it to our script", () => {
  it("takes the address and the router as the default route", () => {
    expect(parseLease(bound("ip=10.0.0.7\nmask=24\nrouter=10.0.0.1\nmtu=1450\nlease=86400"))).toEqual({
      address: "10.0.0.7/24",
      routes: [{ destination: "default", via: "10.0.0.1" }],
      mtu: 1450,
    });
  });

  it("takes option 121 instead of the router when both came (RFC 3442)", () => {
    const lease = parseLease(
      bound(
        "ip=10.0.0.7\nmask=24\nrouter=10.0.0.1\nstaticroutes=192.168.50.0/24 10.0.0.254 0.0.0.0/0 10.0.0.9",
      ),
    );
    expect(lease?.routes).toEqual([
      { destination: "192.168.50.0/24", via: "10.0.0.254" },
      { destination: "default", via: "10.0.0.9" },
    ]);
  });

  it("has no lease without a bound event or an address", () => {
    expect(parseLease("@@ deconfig\ninterface=eth0\n@@ leasefail\n")).toBeNull();
    expect(parseLease(bound("mask=24"))).toBeNull();
  });
});
