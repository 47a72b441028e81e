import { describe, expect, it, vi } from "vitest";
import { field, formatValue, printList, printOne, terminalText } from "./output";

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

describe("printing what the API holds", () => {
  // As a name stored before the API refused control characters: colours, a bell, 8-bit CSI (clear screen),
  // NUL, and a right-to-left override that would show "evil.exe" backwards.
  const hostile = "red\u001b[31m\u0007\u009b2J\u0000\u202eexe.live";
  const row = { id: "r1", name: hostile, fixed_ips: [{ subnet_id: hostile, ip_address: "10.0.0.5" }] };
  const printed = (print: () => void): string => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      print();
      return log.mock.calls.map((args) => args.join(" ")).join("\n");
    } finally {
      log.mockRestore();
    }
  };
  /** Every control character but the newlines that lay out the output, and the bidirectional overrides. */
  const raw = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
  const rawOf = (text: string) => text.replaceAll("\n", "").match(raw);

  it("escapes control characters in tables and bare values", () => {
    for (const format of ["table", "value"] as const) {
      const one = printed(() => printOne(row, format));
      const list = printed(() =>
        printList([row], [field("Name", "name"), field("IPs", "fixed_ips")], format),
      );
      for (const text of [one, list]) {
        expect(rawOf(text), `${format}: ${JSON.stringify(text)}`).toBeNull();
        expect(text).toContain("red\\x1b[31m\\x07\\x9b2J\\x00\\u202eexe.live");
      }
    }
  });

  it("prints JSON with DEL, C1 and overrides as \\u escapes: the same value, nothing raw", () => {
    const text = printed(() => printOne(row, "json"));
    expect(rawOf(text)).toBeNull();
    expect(JSON.parse(text)).toEqual(row);
    expect(JSON.parse(printed(() => printList([row], [], "json")))).toEqual([row]);
  });

  it("keeps the lines of multi-line text (a trace, an error) and escapes the rest", () => {
    expect(terminalText("hop 1\n\u001b[2Jhop 2")).toBe("hop 1\n\\x1b[2Jhop 2");
  });
});
