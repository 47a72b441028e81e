import { describe, expect, it } from "vitest";
import { brief, changedFields } from "./changes";

describe("changedFields", () => {
  it("lists what an update changed, deep values compared by content, bookkeeping left out", () => {
    const before = { id: "n1", name: "a", routes: [{ destination: "10.0.0.0/8" }], updated_at: "t1" };
    const after = { id: "n1", name: "b", routes: [{ destination: "10.0.0.0/8" }], updated_at: "t2" };
    expect(changedFields(before, after)).toEqual([{ field: "name", before: "a", after: "b" }]);
  });

  it("gives every field of a created or deleted resource, on the side it has", () => {
    expect(changedFields(null, { id: "n1", name: "a" })).toEqual([
      { field: "id", before: undefined, after: "n1" },
      { field: "name", before: undefined, after: "a" },
    ]);
    expect(changedFields({ name: "a" }, null)).toEqual([{ field: "name", before: "a", after: undefined }]);
  });

  it("finds nothing where nothing changed (a password set: the user's view is the same)", () => {
    expect(changedFields({ id: "u", roles: [] }, { id: "u", roles: [] })).toEqual([]);
  });
});

describe("brief", () => {
  it("prints structures as JSON on one line and cuts long values", () => {
    expect(brief({ a: 1 })).toBe('{"a":1}');
    expect(brief(undefined)).toBe("—");
    expect(brief("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
