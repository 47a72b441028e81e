"use client";
// The lists that delete dialogs and pickers read to foresee the server's answer (see blockers.ts, choices.ts).
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/provider";
import type { Lists } from "./blockers";

/** Admins see every project's (changes are theirs). `ready`: all loaded, so that a foresight can be trusted. */
export function useLists(): { lists: Lists; ready: boolean } {
  const trpc = useTRPC();
  const queries = {
    ports: useQuery(trpc.port.list.queryOptions(undefined)),
    subnets: useQuery(trpc.subnet.list.queryOptions(undefined)),
    floatingIps: useQuery(trpc.floatingIp.list.queryOptions(undefined)),
    routers: useQuery(trpc.router.list.queryOptions(undefined)),
    servers: useQuery(trpc.server.list.queryOptions(undefined)),
  };
  return {
    lists: {
      ports: queries.ports.data ?? [],
      subnets: queries.subnets.data ?? [],
      floatingIps: queries.floatingIps.data ?? [],
      routers: queries.routers.data ?? [],
      servers: queries.servers.data ?? [],
    },
    ready: Object.values(queries).every((q) => q.isSuccess),
  };
}
