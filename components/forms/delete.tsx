"use client";
// Deletes ask first and say what hangs off the thing, the way an operator would check before
// `openstack ... delete`. What the server would refuse (ports still on a network, interfaces on a router) is
// named here up front, each with the step that clears it, and the action stays off until then.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { usePendingActions, watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { useToast } from "../ui/toast";
import { actionVerb, assess, type DeleteTarget, type Fix, fixLabel } from "./blockers";
import { useDialogs } from "./dialog-context";
import { apiErrors } from "./errors";
import { FormShell } from "./parts";
import { useDisassociate } from "./use-disassociate";
import { useLists } from "./use-lists";

export type { DeleteTarget };

const pastTense = { Delete: "Deleted", Remove: "Removed", Release: "Released" } as const;

/** The step that clears one blocker, right beside it: it opens that step's dialog, or does it. */
function FixButton({ fix }: { fix: Fix }) {
  const { open } = useDialogs();
  const { disassociate, isPending } = useDisassociate();
  const label = fixLabel(fix);
  const onClick = () => {
    switch (fix.type) {
      case "delete":
        return open({ type: "delete", target: fix.target });
      case "disassociate":
        return disassociate(fix.id);
      case "gateway":
        return open({ type: "router-gateway", id: fix.routerId });
      case "routes":
        return open({ type: "router-routes", id: fix.routerId });
    }
  };
  return (
    <Button variant="secondary" className="px-2 py-0.5 text-xs" busy={isPending} onClick={onClick}>
      {label}
    </Button>
  );
}

export function DeleteForm({ target, close }: { target: DeleteTarget; close: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const { track } = usePendingActions();
  const { lists, ready } = useLists();
  const { blockers, effects } = assess(target, lists);
  const verb = actionVerb(target.kind);
  const refused = blockers.length > 0;
  const [error, setError] = useState<string>();
  const options = {
    onSuccess: () => {
      toast("success", `${pastTense[verb]} ${target.noun} ${target.name}`);
      close();
    },
    onError: (e: unknown) => {
      const r = apiErrors(e);
      setError(r.form ?? Object.values(r.fields)[0]);
    },
  };
  const network = useMutation(trpc.network.delete.mutationOptions(options));
  const subnet = useMutation(trpc.subnet.delete.mutationOptions(options));
  const router = useMutation(trpc.router.delete.mutationOptions(options));
  const server = useMutation(trpc.server.delete.mutationOptions(options));
  const fip = useMutation(trpc.floatingIp.delete.mutationOptions(options));
  const forwarding = useMutation(trpc.portForwarding.delete.mutationOptions(options));
  const group = useMutation(trpc.securityGroup.delete.mutationOptions(options));
  const rule = useMutation(trpc.securityGroupRule.delete.mutationOptions(options));
  const removeInterface = useMutation(
    trpc.router.removeInterface.mutationOptions({
      onSuccess: (r) => {
        track(watchNamed("router", "Remove interface from")(r));
        close();
      },
      onError: options.onError,
    }),
  );
  const busy = [network, subnet, router, server, fip, forwarding, group, rule, removeInterface].some(
    (m) => m.isPending,
  );
  return (
    <FormShell
      error={error}
      busy={busy}
      submit={verb}
      close={close}
      danger
      disabled={refused || !ready}
      onSubmit={() => {
        setError(undefined);
        switch (target.kind) {
          case "network":
            return network.mutate({ id: target.id });
          case "subnet":
            return subnet.mutate({ id: target.id });
          case "router":
            return router.mutate({ id: target.id });
          case "server":
            return server.mutate({ id: target.id });
          case "floatingIp":
            return fip.mutate({ id: target.id });
          case "routerInterface":
            return removeInterface.mutate({ id: target.id, subnet_id: target.subnetId });
          case "portForwarding":
            return forwarding.mutate({ floatingip_id: target.floatingIpId, id: target.id });
          case "securityGroup":
            return group.mutate({ id: target.id });
          case "securityGroupRule":
            return rule.mutate({ id: target.id });
        }
      }}
    >
      <p className="text-sm">
        {verb} {target.noun} <b className="font-mono">{target.name}</b>?
      </p>
      {refused ? (
        <div
          role="alert"
          data-testid="blockers"
          className="rounded-md border border-[var(--color-state-error)]/40 p-2 text-sm"
        >
          <p className="text-[var(--color-state-error)]">
            This {target.noun} cannot be {pastTense[verb].toLowerCase()} yet:{" "}
            {blockers.length === 1 ? "this holds" : "these hold"} on to it.
          </p>
          <ul className="mt-1 flex flex-col gap-1">
            {blockers.map((b) => (
              <li key={b.what} data-testid="blocker" className="flex flex-wrap items-center gap-2">
                <span className="font-mono text-xs">{b.what}</span>
                {b.fix ? <FixButton fix={b.fix} /> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {effects.length > 0 ? (
        <div className="text-sm" data-testid="dependents">
          <p className="text-[var(--muted)]">Along with it:</p>
          <ul className="ml-4 list-disc font-mono text-xs">
            {effects.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
        </div>
      ) : refused ? null : (
        <p className="text-sm text-[var(--muted)]">Nothing depends on it.</p>
      )}
    </FormShell>
  );
}
