import { describe, expect, it } from "vitest";
import { formatValue } from "./output";

describe("formatValue", () => {
  it("prints lists of objects as key='value' lines, like the openstack CLI", () => {
    expect(
      formatValue([
        { subnet_id: "s1", ip_address: "10.0.0.5" },
        { subnet_id: "s2", ip_address: "10.0.1.5" },
      ]),
    ).toBe("subnet_id='s1', ip_address='10.0.0.5'\nsubnet_id='s2', ip_address='10.0.1.5'");
  });
  it("prints a server's addresses as net=a, b", () => {
    expect(formatValue({ "demo-net": ["10.0.0.2", "203.0.113.101"] })).toBe(
      "demo-net=10.0.0.2, 203.0.113.101",
    );
  });
  it("prints other objects as JSON and booleans as True/False", () => {
    expect(formatValue({ network_id: "n", enable_snat: true })).toBe('{"network_id":"n","enable_snat":true}');
    expect(formatValue(false)).toBe("False");
    expect(formatValue(null)).toBe("");
  });
});
