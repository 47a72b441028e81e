"use client";
// Which dialog to open, and the hook that opens it: apart from the dialogs themselves, so that a form (a delete
// offering the step that unblocks it) can open another without importing the whole set.
import { createContext, useContext } from "react";
import type { DeleteTarget } from "./blockers";

export type DialogSpec =
  | { type: "network-create"; external?: boolean }
  | { type: "network-edit"; id: string }
  | { type: "subnet-create"; networkId?: string }
  | { type: "subnet-edit"; id: string }
  | { type: "router-create" }
  | { type: "router-gateway"; id: string }
  | { type: "router-interface"; id: string }
  | { type: "router-routes"; id: string }
  | { type: "server-create"; networkId?: string }
  | { type: "fip-create"; portId?: string; networkId?: string }
  | { type: "fip-associate"; id: string }
  | { type: "pf-create"; floatingIpId: string }
  | { type: "sg-create" }
  | { type: "sg-edit"; id: string }
  | { type: "sg-rule-create"; groupId: string }
  | { type: "server-sg-add"; serverId: string }
  | { type: "port-address-pair"; portId: string }
  | { type: "delete"; target: DeleteTarget };

export const DialogContext = createContext<{ open: (spec: DialogSpec) => void }>({ open: () => {} });
export const useDialogs = () => useContext(DialogContext);
