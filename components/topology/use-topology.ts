"use client";
// The six lists the graph is drawn from. They are refreshed by server events (see live.tsx), not by polling.
import { useQueries } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../trpc/provider";
import { toTopology } from "./adapt";
import type { Topology } from "./model";

export function useTopologyData(): {
  topology: Topology | undefined;
  error: string | undefined;
  fetching: boolean;
} {
  const trpc = useTRPC();
  const [networks, subnets, ports, routers, floatingIps, servers] = useQueries({
    queries: [
      trpc.network.list.queryOptions(undefined),
      trpc.subnet.list.queryOptions(undefined),
      trpc.port.list.queryOptions(undefined),
      trpc.router.list.queryOptions(undefined),
      trpc.floatingIp.list.queryOptions(undefined),
      trpc.server.list.queryOptions(undefined),
    ],
  });
  const all = [networks, subnets, ports, routers, floatingIps, servers];
  const error = all.find((q) => q.error)?.error?.message;
  const fetching = all.some((q) => q.isFetching);
  // Memoised on the data objects: react-query keeps them identical until a refetch returns something
  // different (structural sharing), so an event that changed nothing does not rebuild the graph.
  const topology = useMemo(() => {
    if (
      !networks.data ||
      !subnets.data ||
      !ports.data ||
      !routers.data ||
      !floatingIps.data ||
      !servers.data
    ) {
      return undefined;
    }
    return toTopology({
      networks: networks.data,
      subnets: subnets.data,
      ports: ports.data,
      routers: routers.data,
      floatingIps: floatingIps.data,
      servers: servers.data,
    });
  }, [networks.data, subnets.data, ports.data, routers.data, floatingIps.data, servers.data]);
  return { topology, error, fetching };
}
