// Takes an intent resource by resource: the envelope (revision, lists, repair) must hold or the whole intent is
// refused; a resource that does not fit its schema is reported against its id and left as the host has it, so
// that one bad port or subnet never holds back the rest of the host.
import { z } from "zod";
import { namespaceNames, UUID } from "../../lib/names";
import {
  type HostIntent,
  intentDhcp,
  intentEnvelope,
  intentFirewallPort,
  intentInstance,
  intentNetwork,
  intentPort,
  intentPortElsewhere,
  intentRouter,
  intentSecurityGroup,
  intentTunnelNetwork,
  intentUplink,
} from "../contract/intent";
import { tunnelsRefusal } from "../plan/tunnels";

/** An intent refused whole before anything runs (the caller's mistake): nothing on the host changes. */
export class IntentRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntentRefusedError";
  }
}

export type Refused = {
  resource_id: string;
  message: string;
  /** Its namespace, when its ids say which: not to be changed or removed while it is refused. */
  namespace: string | null;
};

type Fields = Record<string, unknown>;

const uuidOf = (value: unknown): string | null =>
  typeof value === "string" && UUID.test(value) ? value : null;

/**
 * Items admitted by the last intent, by their text: the same item in the next one is taken as it was, neither
 * checked nor copied again (a push changes a few of 1,000 ports; the firewall also reuses what it rendered for
 * an item it has seen).
 */
export class Admitted {
  #last = new Map<string, unknown>();
  #next = new Map<string, unknown>();

  take(text: string, check: () => unknown): unknown {
    const item = this.#last.get(text) ?? this.#next.get(text) ?? check();
    this.#next.set(text, item);
    return item;
  }

  /** Once an intent is admitted: what it did not repeat is forgotten. */
  done(): void {
    this.#last = this.#next;
    this.#next = new Map();
  }
}

/** Lists whose items are many and mostly the same from one intent to the next. */
const REMEMBERED = new Set(["port", "firewall port", "security group"]);

/** `localIp`: this host's tunnel endpoint (null: none), which no tunnel may point at. */
export function admitIntent(
  raw: unknown,
  prefix: string,
  localIp: string | null = null,
  admitted: Admitted = new Admitted(),
): { intent: HostIntent; refused: Refused[] } {
  const envelope = intentEnvelope.parse(raw);
  const refused: Refused[] = [];
  const admit = <T>(
    kind: string,
    items: unknown[],
    schema: z.ZodType<T>,
    idField: string,
    namespaceOf: (item: Fields) => string | null,
  ): T[] =>
    items.flatMap((item, index) => {
      const check = () => schema.safeParse(item);
      const parsed = (
        REMEMBERED.has(kind) ? admitted.take(`${kind} ${JSON.stringify(item)}`, check) : check()
      ) as ReturnType<typeof check>;
      if (parsed.success) return [parsed.data];
      const fields: Fields = typeof item === "object" && item !== null ? (item as Fields) : {};
      refused.push({
        resource_id: uuidOf(fields[idField]) ?? `${kind}[${index}]`,
        message: `Invalid ${kind}: ${z.prettifyError(parsed.error).replaceAll("\n", " ")}`,
        namespace: namespaceOf(fields),
      });
      return [];
    });
  const named = (name: (prefix: string, id: string) => string, field: string) => (fields: Fields) => {
    const id = uuidOf(fields[field]);
    return id === null ? null : name(prefix, id);
  };
  const intent: HostIntent = {
    revision: envelope.revision,
    ...(envelope.repair === undefined ? {} : { repair: envelope.repair }),
    networks: admit("network", envelope.networks, intentNetwork, "id", () => null),
    routers: admit("router", envelope.routers, intentRouter, "id", named(namespaceNames.router, "id")),
    // An instance's namespace is named after its port; its errors name the instance.
    instances: admit(
      "instance",
      envelope.instances,
      intentInstance,
      "id",
      named(namespaceNames.instance, "port_id"),
    ),
    uplinks: admit(
      "uplink",
      envelope.uplinks,
      intentUplink,
      "network_id",
      named(namespaceNames.uplink, "network_id"),
    ),
    ...(envelope.dhcp === undefined
      ? {}
      : {
          dhcp: admit(
            "DHCP server",
            envelope.dhcp,
            intentDhcp,
            "network_id",
            named(namespaceNames.dhcp, "network_id"),
          ),
        }),
  };
  if (envelope.ports !== undefined)
    intent.ports = admit("port", envelope.ports, intentPort, "port_id", () => null);
  if (envelope.ports_elsewhere !== undefined) {
    intent.ports_elsewhere = admit(
      "port bound elsewhere",
      envelope.ports_elsewhere,
      intentPortElsewhere,
      "port_id",
      () => null,
    );
  }
  // A refused firewall port is not left open: its interface's traffic is dropped (plan/firewall.ts).
  if (envelope.firewall !== undefined)
    intent.firewall = admit("firewall port", envelope.firewall, intentFirewallPort, "port_id", () => null);
  if (envelope.tunnels !== undefined) {
    intent.tunnels = admit("tunnel network", envelope.tunnels, intentTunnelNetwork, "network_id", () => null);
    // A tunnel towards this host itself (two hosts given one address) would loop: no part of it is applied.
    const refusal = tunnelsRefusal(intent.tunnels, localIp);
    if (refusal !== null) throw new IntentRefusedError(refusal);
  }
  // A refused group allows nothing on the ports that name it (plan/firewall.ts).
  if (envelope.security_groups !== undefined)
    intent.security_groups = admit(
      "security group",
      envelope.security_groups,
      intentSecurityGroup,
      "id",
      () => null,
    );
  admitted.done();
  return { intent, refused };
}
