"use client";
// An instance port's security, on its panel and detail page: port security on or off, its security groups and its
// allowed address pairs; admins change them as `openstack server add/remove security group` and `openstack port
// set --security-group / --no-security-group / --enable-port-security / --disable-port-security /
// --allowed-address` do. Refusals (Neutron's: no port security while groups are on the port) come as toasts.
import { useMutation, useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { AdminOnly } from "../auth/viewer";
import { useDialogs } from "../forms/dialog-context";
import { usePendingActions, watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { useToast } from "../ui/toast";

/** One titled list that says so when it is empty, with its admin actions beside the title. */
function Section({
  title,
  actions,
  empty,
  children,
}: {
  title: string;
  actions: ReactNode;
  empty: string | null;
  children: ReactNode;
}) {
  return (
    <section aria-label={title} className="flex flex-col gap-1">
      <div className="flex items-center gap-2">
        <h3 className="text-xs font-semibold text-[var(--muted)] uppercase">{title}</h3>
        <AdminOnly>
          <div className="ml-auto flex gap-1">{actions}</div>
        </AdminOnly>
      </div>
      {empty === null ? (
        <ul className="flex flex-col gap-1 text-xs">{children}</ul>
      ) : (
        <p className="text-xs text-[var(--muted)]">{empty}</p>
      )}
    </section>
  );
}

function Item({ children, actions }: { children: ReactNode; actions: ReactNode }) {
  return (
    <li className="flex items-center gap-2 font-mono">
      <span className="flex-1">{children}</span>
      <AdminOnly>{actions}</AdminOnly>
    </li>
  );
}

const small = "px-2 py-0.5 text-xs";

export function InstanceSecurity({ serverId }: { serverId: string }) {
  const trpc = useTRPC();
  const toast = useToast();
  const { open } = useDialogs();
  const { track } = usePendingActions();
  const server = useQuery(trpc.server.show.queryOptions({ id: serverId }));
  const portId = server.data?.port_id ?? "";
  const port = useQuery({ ...trpc.port.show.queryOptions({ id: portId }), enabled: portId !== "" });
  const groups = useQuery(trpc.securityGroup.list.queryOptions(undefined)).data ?? [];
  const onError = (e: { message: string }) => toast("error", e.message);
  const update = useMutation(
    trpc.port.update.mutationOptions({
      onSuccess: (p) => track(watchNamed("port", "Update port")(p)),
      onError,
    }),
  );
  const remove = useMutation(
    trpc.server.removeSecurityGroup.mutationOptions({
      onSuccess: (s) => track(watchNamed("server", "Remove security group from")(s)),
      onError,
    }),
  );
  const p = port.data;
  if (!p) return null;
  const nameOf = (id: string) => {
    const g = groups.find((x) => x.id === id);
    return g ? g.name || g.id : id;
  };
  const enabled = p.port_security_enabled;
  return (
    <div className="flex flex-col gap-3" data-testid="instance-security">
      <Section
        title="Port security"
        empty={null}
        actions={
          <Button
            className={small}
            busy={update.isPending}
            onClick={() => update.mutate({ id: p.id, port_security_enabled: !enabled })}
          >
            {enabled ? "Disable port security" : "Enable port security"}
          </Button>
        }
      >
        <li data-testid="port-security">
          {enabled
            ? "enabled: anti-spoofing and security groups apply"
            : "disabled: no filtering on this port"}
        </li>
      </Section>
      <Section
        title="Security groups"
        empty={
          p.security_groups.length === 0 ? "None: with port security on, nothing is allowed in or out." : null
        }
        actions={
          <>
            <Button className={small} onClick={() => open({ type: "server-sg-add", serverId })}>
              Add security group
            </Button>
            {p.security_groups.length > 0 ? (
              <Button
                variant="ghost"
                className={small}
                busy={update.isPending}
                onClick={() => update.mutate({ id: p.id, security_groups: [] })}
              >
                Remove all
              </Button>
            ) : null}
          </>
        }
      >
        {p.security_groups.map((id) => (
          <Item
            key={id}
            actions={
              <Button
                variant="ghost"
                className={small}
                aria-label={`Remove security group ${nameOf(id)}`}
                busy={remove.isPending}
                onClick={() => remove.mutate({ id: serverId, security_group: id })}
              >
                Remove
              </Button>
            }
          >
            <span data-testid="security-group">{nameOf(id)}</span>
          </Item>
        ))}
      </Section>
      <Section
        title="Allowed address pairs"
        empty={
          p.allowed_address_pairs.length === 0 ? "None: the port sends only from its own addresses." : null
        }
        actions={
          <Button className={small} onClick={() => open({ type: "port-address-pair", portId: p.id })}>
            Add allowed address pair
          </Button>
        }
      >
        {p.allowed_address_pairs.map((pair) => (
          <Item
            key={`${pair.ip_address} ${pair.mac_address}`}
            actions={
              <Button
                variant="ghost"
                className={small}
                aria-label={`Remove allowed address pair ${pair.ip_address}`}
                busy={update.isPending}
                onClick={() =>
                  update.mutate({
                    id: p.id,
                    allowed_address_pairs: p.allowed_address_pairs.filter((x) => x !== pair),
                  })
                }
              >
                Remove
              </Button>
            }
          >
            <span data-testid="address-pair">
              {pair.ip_address} {pair.mac_address}
            </span>
          </Item>
        ))}
      </Section>
    </div>
  );
}
