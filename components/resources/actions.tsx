"use client";
// Actions that the list pages, detail pages and the topology side panel all offer on the same resource. Each one is
// written once here, so a delete or a disassociate behaves the same wherever it is clicked.
import { useMutation } from "@tanstack/react-query";
import type { ComponentProps } from "react";
import type { DeleteTarget } from "../forms/delete";
import { useDialogs } from "../forms/dialogs";
import { usePendingActions } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { useToast } from "../ui/toast";

/** Opens the delete dialog (which asks first and names what hangs off the target); `children` is the verb. */
export function DeleteButton({
  target,
  variant = "ghost",
  children = "Delete",
}: {
  target: DeleteTarget;
  variant?: ComponentProps<typeof Button>["variant"];
  children?: string;
}) {
  const { open } = useDialogs();
  return (
    <Button variant={variant} onClick={() => open({ type: "delete", target })}>
      {children}
    </Button>
  );
}

/** A subnet's own actions, wherever its network's subnets are listed. */
export function SubnetActions({ subnet }: { subnet: { id: string; name: string; cidr: string } }) {
  const { open } = useDialogs();
  return (
    <>
      <Button variant="ghost" onClick={() => open({ type: "subnet-edit", id: subnet.id })}>
        Edit
      </Button>
      <DeleteButton
        target={{ kind: "subnet", id: subnet.id, name: subnet.name || subnet.cidr, noun: "subnet" }}
      />
    </>
  );
}

/** Detaches a floating IP from its port; the change is tracked until the agent has applied it. */
export function useDisassociate() {
  const trpc = useTRPC();
  const { track } = usePendingActions();
  const toast = useToast();
  const update = useMutation(trpc.floatingIp.update.mutationOptions());
  return {
    isPending: update.isPending,
    disassociate: (id: string) =>
      update.mutate(
        { id, port_id: null },
        {
          onSuccess: (x) =>
            track({
              kind: "floatingIp",
              id: x.id,
              label: x.floating_ip_address,
              action: "Disassociate",
            }),
          onError: (e) => toast("error", e.message),
        },
      ),
  };
}
