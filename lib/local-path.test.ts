// Where a login may send its user afterwards: paths of this site, nothing a browser would read as another host.
import { describe, expect, it } from "vitest";
import { localPath } from "./local-path";

describe("localPath", () => {
  it("keeps a path of this site, with its query and fragment", () => {
    expect(localPath("/networks")).toBe("/networks");
    expect(localPath("/routers/r1?tab=ports#x")).toBe("/routers/r1?tab=ports#x");
  });

  it("sends anything that leaves the site, or is no path, to the start page", () => {
    for (const next of [
      null,
      undefined,
      "",
      "networks",
      "https://evil.example/",
      "//evil.example",
      // What `/login?next=/%5Cevil.example` decodes to: browsers read the backslash as a slash.
      "/\\evil.example",
      "/\\/evil.example",
      "/\t/evil.example",
      "/.//evil.example",
      "/a/../..//evil.example",
    ]) {
      expect(localPath(next), JSON.stringify(next)).toBe("/");
    }
  });
});
