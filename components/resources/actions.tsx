"use client";
// Actions that the list pages, detail pages and the topology side panel all offer on the same resource. Each one is
// written once here, so a delete or a disassociate behaves the same wherever it is clicked.
import type { ComponentProps } from "react";
import { actionVerb, type DeleteTarget } from "../forms/blockers";
import { useDialogs } from "../forms/dialog-context";
import { Button } from "../ui/controls";

/**
 * Opens the delete dialog (which asks first and names what hangs off the target). It says the action's one verb
 * (Delete, Remove, Release), and to a screen reader also what it acts on: a panel lists several.
 */
export function DeleteButton({
  target,
  variant = "ghost",
}: {
  target: DeleteTarget;
  variant?: ComponentProps<typeof Button>["variant"];
}) {
  const { open } = useDialogs();
  const verb = actionVerb(target.kind);
  return (
    <Button
      variant={variant}
      aria-label={`${verb} ${target.noun} ${target.name}`}
      data-testid={`delete-${target.kind}`}
      onClick={() => open({ type: "delete", target })}
    >
      {verb}
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
