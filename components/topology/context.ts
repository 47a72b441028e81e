"use client";
// What node components may do besides draw their data: callbacks live here, not in node data, so that data
// stays plain and comparable (and React Flow does not see a "changed" node when a callback is recreated).
import { createContext, useContext } from "react";

export type TopologyActions = { toggleCollapse: (networkId: string) => void };

export const TopologyActionsContext = createContext<TopologyActions>({ toggleCollapse: () => {} });
export const useTopologyActions = () => useContext(TopologyActionsContext);
