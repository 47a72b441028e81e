// A CIDR that is refused says which part is wrong and how it should look.
import { describe, expect, it } from "vitest";
import { parseCidr } from "./ip";

describe("parseCidr's refusals", () => {
  it.each([
    ["10.0.0.0/33", "Invalid CIDR 10.0.0.0/33: the prefix length must be 0 to 32"],
    ["", "Invalid CIDR : empty (write it as in 10.0.0.0/24)"],
    ["10.0.0.0", "Invalid CIDR 10.0.0.0: no prefix length (write it as in 10.0.0.0/24)"],
    ["10.0.0.300/24", "Invalid CIDR 10.0.0.300/24: 10.0.0.300 is not an IPv4 address"],
    ["10.0.0.0/24/8", "Invalid CIDR 10.0.0.0/24/8: one '/' only, as in 10.0.0.0/24"],
  ])("%j", (value, message) => {
    expect(() => parseCidr(value)).toThrow(message);
  });

  it("still reads a good one", () => {
    expect(parseCidr("10.77.0.0/24")).toEqual({ network: "10.77.0.0", prefixlen: 24 });
  });
});
