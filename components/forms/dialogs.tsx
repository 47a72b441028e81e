"use client";
// Which form is open. Any component (side panel, tables, detail pages) opens one with `useDialogs().open(...)`;
// one host renders it, so each form exists once.
import { type ReactNode, useCallback, useMemo, useState } from "react";
import { Dialog } from "../ui/dialog";
import { actionVerb } from "./blockers";
import { DeleteForm } from "./delete";
import { DialogContext, type DialogSpec } from "./dialog-context";
import { FloatingIpAssociateForm, FloatingIpCreateForm } from "./floating-ip";
import { NetworkCreateForm, NetworkEditForm } from "./network";
import { PortForwardingCreateForm } from "./port-forwarding";
import { AddressPairForm, ServerSecurityGroupAddForm } from "./port-security";
import { RouterCreateForm, RouterGatewayForm, RouterInterfaceForm, RouterRoutesForm } from "./router";
import {
  SecurityGroupCreateForm,
  SecurityGroupEditForm,
  SecurityGroupRuleCreateForm,
} from "./security-group";
import { ServerCreateForm } from "./server";
import { SubnetCreateForm, SubnetEditForm } from "./subnet";

const titles: Record<DialogSpec["type"], string> = {
  "network-create": "Create network",
  "network-edit": "Edit network",
  "subnet-create": "Create subnet",
  "subnet-edit": "Edit subnet",
  "router-create": "Create router",
  "router-gateway": "Router gateway",
  "router-interface": "Add router interface",
  "router-routes": "Extra routes",
  "server-create": "Launch instance",
  "fip-create": "Allocate floating IP",
  "fip-associate": "Associate floating IP",
  "pf-create": "Add port forwarding",
  "sg-create": "Create security group",
  "sg-edit": "Edit security group",
  "sg-rule-create": "Add rule",
  "server-sg-add": "Add security group",
  "port-address-pair": "Add allowed address pair",
  delete: "Delete",
};

function Body({ spec, close }: { spec: DialogSpec; close: () => void }) {
  switch (spec.type) {
    case "network-create":
      return <NetworkCreateForm external={spec.external ?? false} close={close} />;
    case "network-edit":
      return <NetworkEditForm id={spec.id} close={close} />;
    case "subnet-create":
      return <SubnetCreateForm networkId={spec.networkId} close={close} />;
    case "subnet-edit":
      return <SubnetEditForm id={spec.id} close={close} />;
    case "router-create":
      return <RouterCreateForm close={close} />;
    case "router-gateway":
      return <RouterGatewayForm id={spec.id} close={close} />;
    case "router-interface":
      return <RouterInterfaceForm id={spec.id} close={close} />;
    case "router-routes":
      return <RouterRoutesForm id={spec.id} close={close} />;
    case "server-create":
      return <ServerCreateForm networkId={spec.networkId} close={close} />;
    case "fip-create":
      return <FloatingIpCreateForm portId={spec.portId} networkId={spec.networkId} close={close} />;
    case "fip-associate":
      return <FloatingIpAssociateForm id={spec.id} close={close} />;
    case "pf-create":
      return <PortForwardingCreateForm floatingIpId={spec.floatingIpId} close={close} />;
    case "sg-create":
      return <SecurityGroupCreateForm close={close} />;
    case "sg-edit":
      return <SecurityGroupEditForm id={spec.id} close={close} />;
    case "sg-rule-create":
      return <SecurityGroupRuleCreateForm groupId={spec.groupId} close={close} />;
    case "server-sg-add":
      return <ServerSecurityGroupAddForm serverId={spec.serverId} close={close} />;
    case "port-address-pair":
      return <AddressPairForm portId={spec.portId} close={close} />;
    case "delete":
      return <DeleteForm target={spec.target} close={close} />;
  }
}

export function DialogProvider({ children }: { children: ReactNode }) {
  const [spec, setSpec] = useState<DialogSpec | null>(null);
  const open = useCallback((s: DialogSpec) => setSpec(s), []);
  const close = useCallback(() => setSpec(null), []);
  const value = useMemo(() => ({ open }), [open]);
  const title = spec
    ? spec.type === "delete"
      ? `${actionVerb(spec.target.kind)} ${spec.target.noun} ${spec.target.name}`
      : titles[spec.type]
    : "";
  return (
    <DialogContext.Provider value={value}>
      {children}
      <Dialog
        open={spec !== null}
        onClose={close}
        title={title}
        testId={spec ? `dialog-${spec.type}` : undefined}
      >
        {spec ? <Body spec={spec} close={close} /> : null}
      </Dialog>
    </DialogContext.Provider>
  );
}
