// Each instance on the graph says where its port is bound: the host, "not bound", or "bound" for a viewer who
// may not see hosts.
import { describe, expect, it } from "vitest";
import { generateTopology } from "./generate";
import { buildGraph } from "./graph";

describe("instance bindings on the graph", () => {
  it("shows the host a port is bound on, or that it is not bound", () => {
    const topology = generateTopology(1, 1, 3);
    const [a, b, c] = topology.instances;
    if (!a || !b || !c) throw new Error("expected three instances");
    a.binding = { host: "compute-1", bound: true };
    b.binding = { host: "compute-1", bound: false };
    c.binding = { host: "", bound: true };
    const shown = new Map(
      buildGraph(topology).nodes.flatMap((n) => (n.type === "instance" ? [[n.id, n.data.binding]] : [])),
    );
    expect(shown.get(a.id)).toBe("on compute-1");
    expect(shown.get(b.id)).toBe("not bound");
    expect(shown.get(c.id)).toBe("bound");
  });
});
