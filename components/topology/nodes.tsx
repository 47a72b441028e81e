"use client";
// The node kinds of the graph. Each draws to the fixed size that graph.ts gives it (layout needs no measuring),
// states its status with colour and icon, and carries data-testid/data-kind for tests. Zoomed out (see
// overview.ts) a card is a plain shape with its name, much cheaper to paint while panning.
import { Handle, type NodeProps, type NodeTypes, Position, useStore } from "@xyflow/react";
import { memo, type ReactNode } from "react";
import { DriftMark } from "../inspect/panels";
import { type DisplayState, displayState, StatusBadge, stateStyle } from "../ui/status";
import { useTopologyActions } from "./context";
import {
  type DhcpLine,
  type ExternalNetworkNode,
  type FipBadge,
  type InstanceNode,
  type NetworkNode,
  NODE_ENDS,
  NODE_WIDTH,
  type NodeKind,
  type RouterNode,
} from "./graph";
import { type LaneNode, laneLabel } from "./lanes";
import { GRID_TOP } from "./layout";
import { detailedSelector, type InstanceBlockNode } from "./overview";
import { PictureView } from "./picture";

const kindColor: Record<NodeKind, string> = {
  external: "var(--color-kind-external)",
  router: "var(--color-kind-router)",
  network: "var(--color-kind-network)",
  instance: "var(--color-kind-instance)",
};

const kindIcon: Record<NodeKind, string> = { external: "☁", router: "⇄", network: "▭", instance: "▣" };

const borderOf = (kind: NodeKind, state: DisplayState) =>
  state === "active" ? kindColor[kind] : stateStyle[state].color;
/** The zoomed-out fill: the kind's colour, faint, over the panel colour. */
const tint = (kind: NodeKind) => `color-mix(in srgb, ${kindColor[kind]} 14%, var(--panel))`;
const hiddenStyle = { visibility: "hidden" } as const;
/** A zoomed-out node's outline: thick enough to show far out, dashed when administratively down. */
const shape = (selected: boolean, adminStateUp: boolean) =>
  `rounded-lg border-[6px] ${selected ? "outline-8 outline-[var(--color-kind-external)]/50" : ""} ${adminStateUp ? "" : "border-dashed"}`;

function Card({
  kind,
  id,
  name,
  status,
  adminStateUp,
  selected,
  subtitle,
  children,
}: {
  kind: NodeKind;
  id: string;
  name: string;
  status: string;
  adminStateUp: boolean;
  selected: boolean;
  subtitle: string;
  children?: ReactNode;
}) {
  const state = displayState(status, adminStateUp);
  const detailed = useStore(detailedSelector);
  const look = {
    "data-testid": `node-${kind}`,
    "data-name": name,
    "data-state": state,
    title: `${name || id} (${status})`,
  };
  const borderColor = borderOf(kind, state);
  // Zoomed out the handles are specks; hidden, they cost nothing to paint (React Flow still measures them).
  const handleStyle = detailed ? undefined : hiddenStyle;
  const ends = (body: ReactNode) => (
    <>
      {NODE_ENDS[kind].target ? (
        <Handle type="target" position={Position.Top} isConnectable={false} style={handleStyle} />
      ) : null}
      {body}
      {NODE_ENDS[kind].source ? (
        <Handle type="source" position={Position.Bottom} isConnectable={false} style={handleStyle} />
      ) : null}
    </>
  );
  if (!detailed) {
    return ends(
      <div
        {...look}
        className={`flex h-full items-center gap-2 px-3 ${shape(selected, adminStateUp)}`}
        style={{ width: NODE_WIDTH[kind], borderColor, background: tint(kind) }}
      >
        <span className="truncate text-[34px] leading-none font-semibold">{name || id.slice(0, 8)}</span>
        <DriftMark id={id} compact />
      </div>,
    );
  }
  return ends(
    <div
      {...look}
      className={`h-full overflow-hidden rounded-lg border-2 bg-[var(--panel)] text-[var(--fg)] shadow-sm ${
        selected ? "ring-4 ring-[var(--color-kind-external)]/40" : ""
      } ${adminStateUp ? "" : "border-dashed"}`}
      style={{ width: NODE_WIDTH[kind], borderColor }}
    >
      <div className="flex items-center gap-1.5 px-2 pt-1.5">
        <span aria-hidden style={{ color: kindColor[kind] }}>
          {kindIcon[kind]}
        </span>
        <span className="truncate text-sm font-semibold">{name || id.slice(0, 8)}</span>
        <span className="ml-auto flex shrink-0 items-center gap-1">
          <DriftMark id={id} />
          <StatusBadge status={status} adminStateUp={adminStateUp} />
        </span>
      </div>
      <div className="truncate px-2 text-[10px] tracking-wide text-[var(--muted)] uppercase">{subtitle}</div>
      <div className="px-2 pt-1 font-mono text-[11px] leading-4">{children}</div>
    </div>,
  );
}

function Fip({ fip }: { fip: FipBadge }) {
  const state = displayState(fip.status);
  return (
    <div
      data-testid="fip-badge"
      data-fip={fip.floating}
      className={`mt-0.5 flex max-w-full items-center gap-1 rounded bg-[var(--color-kind-external)]/12 px-1 text-[11px] whitespace-nowrap text-[var(--color-kind-external)] ${
        state === "pending" ? "pending-pulse" : ""
      }`}
      title={`floating IP ${fip.floating} (${fip.status})`}
    >
      <span aria-hidden>⬈</span>
      {/* Before the addresses, which may be cut at the card's edge; the mark must stay in sight. */}
      <DriftMark id={fip.id} compact />
      <span className="min-w-0 truncate">
        {fip.floating} → {fip.fixed ?? "—"}
      </span>
    </div>
  );
}

/** The network's DHCP port: its addresses and the host whose dnsmasq answers from them. */
function Dhcp({ dhcp }: { dhcp: DhcpLine }) {
  const state = displayState(dhcp.status);
  const ips = dhcp.ips.join(", ");
  return (
    <div
      data-testid="dhcp-port"
      data-port={dhcp.portId}
      data-state={state}
      className={`flex justify-between gap-2 ${state === "pending" ? "pending-pulse" : ""}`}
      title={`DHCP port ${ips} (network:dhcp, ${dhcp.status}), ${dhcp.binding}`}
    >
      <span className="truncate">DHCP {ips}</span>
      <span className="shrink-0 text-[var(--muted)]">{dhcp.binding}</span>
    </div>
  );
}

const ExternalNetworkNodeView = memo(function ExternalNetworkNodeView({
  data,
  selected,
}: NodeProps<ExternalNetworkNode>) {
  return (
    <Card
      kind="external"
      {...data}
      selected={selected}
      subtitle={`external · ${data.networkType}${data.physicalNetwork ? `:${data.physicalNetwork}` : ""}`}
    >
      {data.cidrs.length === 0 ? <span className="text-[var(--muted)]">no subnet</span> : null}
      {data.cidrs.map((c) => (
        <div key={c}>{c}</div>
      ))}
      {data.dhcp ? <Dhcp dhcp={data.dhcp} /> : null}
    </Card>
  );
});

const NetworkNodeView = memo(function NetworkNodeView({ data, selected }: NodeProps<NetworkNode>) {
  const { toggleCollapse } = useTopologyActions();
  const segment = data.segmentationId !== null ? ` ${data.segmentationId}` : "";
  return (
    <Card
      kind="network"
      {...data}
      selected={selected}
      subtitle={`${data.networkType}${segment}${data.shared ? " · shared" : ""}`}
    >
      {data.subnets.length === 0 ? <span className="text-[var(--muted)]">no subnet</span> : null}
      {data.subnets.map((s) => (
        <div key={s.cidr} className="flex justify-between gap-2" data-testid="subnet-cidr">
          <span>{s.cidr}</span>
          <span className="truncate text-[var(--muted)]">gw {s.gateway ?? "none"}</span>
        </div>
      ))}
      {data.dhcp ? <Dhcp dhcp={data.dhcp} /> : null}
      {data.instanceCount > 0 ? (
        <button
          type="button"
          className="nodrag nopan mt-0.5 text-[10px] text-[var(--muted)] hover:text-[var(--fg)]"
          aria-expanded={!data.collapsed}
          onClick={(e) => {
            e.stopPropagation();
            toggleCollapse(data.id);
          }}
        >
          {data.collapsed ? "▸" : "▾"} {data.instanceCount} instance{data.instanceCount === 1 ? "" : "s"}
        </button>
      ) : null}
    </Card>
  );
});

const RouterNodeView = memo(function RouterNodeView({ data, selected }: NodeProps<RouterNode>) {
  const snat = data.snat === null ? "no gateway" : data.snat ? "SNAT on" : "SNAT off";
  return (
    <Card kind="router" {...data} selected={selected} subtitle={`router${data.ha ? " · HA" : ""} · ${snat}`}>
      {data.waiting === null ? null : (
        <div
          className="truncate text-[var(--color-state-pending)]"
          data-testid="router-waiting"
          title={data.waiting}
        >
          ⏳ {data.waiting}
        </div>
      )}
      {/* Hosts are for admins: a member's topology has none. An HA router's nodes, the active one first. */}
      {data.haHosts.map((h) => (
        <div
          key={h.host}
          className={`truncate ${h.ha_state === "active" ? "" : "text-[var(--muted)]"}`}
          data-testid="node-ha-host"
          data-ha-state={h.ha_state}
        >
          {h.ha_state === "active" ? "●" : "○"} {h.ha_state} on {h.host}
        </div>
      ))}
      {data.haHosts.length === 0 && data.host !== null ? (
        <div className="truncate text-[var(--muted)]" data-testid="node-host">
          on {data.host}
        </div>
      ) : null}
      {data.routes.map((r) => (
        <div key={`${r.destination}>${r.nexthop}`} className="truncate" title="extra route">
          ↪ {r.destination} via {r.nexthop}
        </div>
      ))}
      {data.floatingIps.map((f) => (
        <Fip key={f.id} fip={f} />
      ))}
    </Card>
  );
});

const InstanceNodeView = memo(function InstanceNodeView({ data, selected }: NodeProps<InstanceNode>) {
  return (
    <Card
      kind="instance"
      {...data}
      selected={selected}
      subtitle={`instance · ${data.ip ?? "no address"}${data.binding === null ? "" : ` · ${data.binding}`}`}
    >
      {data.floatingIps.map((f) => (
        <Fip key={f.id} fip={f} />
      ))}
    </Card>
  );
});

/**
 * A network's instances, zoomed out: one box per instance at its own place, coloured by state, and one line up to
 * the network. `data-instance` lets a click pick the instance (canvas.tsx).
 */
const InstanceBlockView = memo(function InstanceBlockView({ data }: NodeProps<InstanceBlockNode>) {
  return (
    <div data-testid="instance-block" data-network={data.networkId} className="relative h-full">
      <div
        aria-hidden
        className="absolute left-1/2 w-1 -translate-x-1/2 bg-[var(--color-kind-instance)]"
        style={{ top: -GRID_TOP, height: GRID_TOP }}
      />
      {data.cells.map((c) => {
        const state = displayState(c.status, c.adminStateUp);
        return (
          <div
            key={c.id}
            data-instance={c.id}
            data-state={state}
            title={`${c.name || c.id} (${c.status})`}
            className={`absolute ${shape(c.id === data.selected, c.adminStateUp)}`}
            style={{
              left: c.x,
              top: c.y,
              width: NODE_WIDTH.instance,
              height: c.height,
              borderColor: borderOf("instance", state),
              background: tint("instance"),
            }}
          />
        );
      })}
    </div>
  );
});

/** A host's lane (grouped by host), behind its routers and instances: a dashed box with the host's name. */
const LaneView = memo(function LaneView({ data, width, height }: NodeProps<LaneNode>) {
  return (
    <div
      data-testid="host-lane"
      data-host={data.host ?? ""}
      className="pointer-events-none rounded-xl border-2 border-dashed border-[var(--border)] bg-[var(--fg)]/[0.02]"
      style={{ width, height }}
    >
      <div className="px-3 pt-2 text-sm font-semibold">
        {laneLabel(data.host)}
        <span className="ml-2 text-xs font-normal text-[var(--muted)]">
          {data.routers} router{data.routers === 1 ? "" : "s"} · {data.instances} instance
          {data.instances === 1 ? "" : "s"}
        </span>
      </div>
    </div>
  );
});

/** At module scope: a new object on each render would make React Flow re-mount every node. */
export const nodeTypes = {
  external: ExternalNetworkNodeView,
  network: NetworkNodeView,
  router: RouterNodeView,
  instance: InstanceNodeView,
  instances: InstanceBlockView,
  picture: PictureView,
  lane: LaneView,
} satisfies NodeTypes;
