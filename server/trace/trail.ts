// What a walk carries and leaves behind: the packet as it goes (its addresses, whether its source is known yet),
// and the record of it: the hops, each with the packet as it was after it, where probe mode watches for each, the
// events the diagnoses read, and the NATs done (conntrack reverses them for the reply). Every hop is built here.
import type { DecidedBy, Hop, HopAction, HopRule, HopWhere } from "../../lib/schemas/trace";
import type { Place } from "./places";
import type { CapturePoint, HopPoints } from "./probe";
import type { ConnNat, Packet, WalkEvent, WalkResult } from "./walk-state";

/** `rule`: the resource rule that decided the hop, when one did. */
type HopSpec = { action: HopAction; decided_by: DecidedBy; vlan?: number; rule?: HopRule | undefined };

export class Trail {
  /** The host the packet is on: a tunnel carries it to another. */
  #host: string;
  readonly #hops: Hop[] = [];
  readonly #points: HopPoints = [];
  readonly #events: WalkEvent[] = [];
  readonly #nat: ConnNat[] = [];
  /** The packet as it is now. */
  packet: Packet;
  /** False for a packet sent by a router: its source is the kernel's choice, learnt from the first route. */
  srcKnown: boolean;

  constructor(host: string, start: { packet: Packet; srcKnown: boolean }) {
    this.#host = host;
    this.packet = { ...start.packet };
    this.srcKnown = start.srcKnown;
  }

  /** Records a hop with the packet as it is now, watched at `point` in probe mode; returns its index. */
  hop(where: Omit<HopWhere, "host">, spec: HopSpec, point: CapturePoint | null): number {
    const { action, decided_by, vlan, rule } = spec;
    this.#hops.push({
      where: { host: this.#host, ...where },
      action,
      ...(vlan === undefined ? {} : { vlan }),
      decided_by,
      ...(rule === undefined ? {} : { rule }),
      packet: { ...this.packet },
    });
    this.#points.push(point);
    return this.#hops.length - 1;
  }

  /**
   * A hop inside `place`, at `iface` (null: none), named after `node_id` (default: the place's node); probe mode
   * watches for it there unless `watched` is false (a NAT hop shows by its rule's counter instead).
   */
  inside(
    place: Place,
    iface: string | null,
    spec: HopSpec & { node_id?: string; watched?: boolean },
  ): number {
    const point = spec.watched === false || !iface ? null : { namespace: place.namespace, interface: iface };
    const portId = place.devices.find((d) => d.name === iface)?.port_id ?? null;
    return this.hop(
      {
        namespace: place.namespace,
        interface: iface ?? undefined,
        node_id: spec.node_id ?? place.node_id,
        ...(portId === null ? {} : { port_id: portId }),
      },
      spec,
      point,
    );
  }

  /** A tunnel delivered the packet to `host`: the hops from here on are there. */
  onHost(host: string): void {
    this.#host = host;
  }

  event(event: WalkEvent): void {
    this.#events.push(event);
  }

  /** A NAT done here, which conntrack reverses for the reply. */
  natted(nat: ConnNat): void {
    this.#nat.push(nat);
  }

  /** The walk ended: delivered at `deliveredAt`, or dropped (null). */
  end(deliveredAt: Place | null): WalkResult {
    return {
      hops: this.#hops,
      events: this.#events,
      deliveredAt,
      packet: this.packet,
      nat: this.#nat,
      points: this.#points,
    };
  }
}
