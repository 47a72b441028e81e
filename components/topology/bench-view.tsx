"use client";
// The UI bench's page (bench/ui.ts drives it): the real canvas, layout and node components on a generated
// topology, timed from navigation start to the first complete picture; plus a panning loop that counts frames.
import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { BenchProbe } from "./bench-probe";
import { TopologyCanvas } from "./canvas";
import { TopologyActionsContext } from "./context";
import { generateTopology } from "./generate";
import { defaultCollapsed, type Topology } from "./model";
import { useTopologyLayout } from "./use-layout";

export function BenchView({
  routers,
  networks,
  instances,
  expand,
}: {
  routers: number;
  networks: number;
  instances: number;
  /** Every instance drawn, instead of the page's default of collapsing big topologies. */
  expand: boolean;
}) {
  // Made after hydration, as the API's data would arrive (and so that the server does not render the graph).
  const [topology, setTopology] = useState<Topology>();
  useEffect(
    () => setTopology(generateTopology(routers, networks, instances)),
    [routers, networks, instances],
  );
  const collapsed = useMemo(
    () => (expand || !topology ? new Set<string>() : defaultCollapsed(topology)),
    [expand, topology],
  );
  const laid = useTopologyLayout(topology, collapsed);
  const [fitted, setFitted] = useState(false);
  const onFitted = useCallback(() => setFitted(true), []);
  const actions = useMemo(() => ({ toggleCollapse: () => {} }), []);
  return (
    <TopologyActionsContext.Provider value={actions}>
      <ReactFlowProvider>
        <div className="h-full" data-testid="bench">
          <TopologyCanvas laid={laid} selected={null} onSelect={() => {}} onFitted={onFitted} />
          <BenchProbe fitted={fitted} laid={laid} />
        </div>
      </ReactFlowProvider>
    </TopologyActionsContext.Provider>
  );
}
