"use client";
// The graph's data: one topology.get, refreshed by server events (see live.tsx), not by polling.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/provider";
import type { Topology } from "./model";

export function useTopologyData(): {
  topology: Topology | undefined;
  error: string | undefined;
  fetching: boolean;
} {
  const trpc = useTRPC();
  // react-query keeps the answer identical until a refetch returns something different (structural sharing), so
  // an event that changed nothing does not rebuild the graph.
  const query = useQuery(trpc.topology.get.queryOptions());
  return { topology: query.data, error: query.error?.message, fetching: query.isFetching };
}
