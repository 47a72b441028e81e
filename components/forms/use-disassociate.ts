"use client";
// Detaching a floating IP from its port, wherever it is offered (lists, panels, a delete that it blocks).
import { useMutation } from "@tanstack/react-query";
import { usePendingActions } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { useToast } from "../ui/toast";

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
