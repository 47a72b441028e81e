"use client";
// How a host's sections read: NAT rules as `iptables -S` prints them (monospace, coloured, with packet
// counters), addresses and routes as tables, `ovs-vsctl show` verbatim, a DHCP server's dnsmasq with its files and
// log, the interfaces others plugged, a router's tracked connections. Drifted lines are marked; new ones glow.
import type {
  ConntrackEntry,
  ConntrackTuple,
  DhcpSection,
  IpJsonLink,
  IpJsonRoute,
  NatSection,
  PluggedInterface,
} from "@/lib/host-snapshot";
import { ScrollBox } from "../ui/scroll-box";

const cell = "px-2 py-0.5 text-left align-top";
const head = "px-2 py-1 text-left text-[10px] font-medium text-[var(--muted)] uppercase";

/** One rule, coloured by part: chain, matches, addresses, target. */
function RuleText({ rule }: { rule: string }) {
  const parts = rule.split(" ");
  return (
    <>
      {parts.map((part, i) => {
        const prev = parts[i - 1];
        let color = "";
        if (prev === "-A") color = "var(--color-kind-router)";
        else if (prev === "-j")
          color = part === "ACCEPT" ? "var(--color-state-active)" : "var(--color-state-pending)";
        else if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(part)) color = "var(--color-kind-external)";
        else if (part.startsWith("-") || part === "!") color = "var(--muted)";
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: the words of one fixed rule
          <span key={i} style={color ? { color } : undefined}>
            {i > 0 ? " " : ""}
            {part}
          </span>
        );
      })}
    </>
  );
}

export function NatRules({
  section,
  fresh = [],
  missing = [],
  extra = [],
  only,
}: {
  section: NatSection | undefined;
  /** Rules that just appeared: highlighted. */
  fresh?: readonly string[];
  /** Rules the model wants that the host lacks (drift). */
  missing?: readonly string[];
  extra?: readonly string[];
  /** Show only the rules this returns true for (a panel shows the rules naming one address). */
  only?: (rule: string) => boolean;
}) {
  const rules = (section?.rules ?? []).filter((r) => only?.(r.rule) ?? true);
  const lacking = missing.filter((r) => only?.(r) ?? true);
  const freshSet = new Set(fresh);
  const extraSet = new Set(extra);
  return (
    <ScrollBox
      label="NAT rules"
      className="rounded border border-[var(--border)] bg-[var(--bg)]"
      data-testid="nat-rules"
    >
      <table className="w-full font-mono text-[11px] leading-5">
        <thead>
          <tr>
            <th className={`${head} w-16 text-right`}>pkts</th>
            <th className={`${head} w-20 text-right`}>bytes</th>
            <th className={head}>rule</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr
              key={r.rule}
              data-testid="nat-rule"
              data-rule={r.rule}
              data-new={freshSet.has(r.rule) || undefined}
              data-drift={extraSet.has(r.rule) ? "extra" : undefined}
              className={`${freshSet.has(r.rule) ? "bg-[var(--color-state-pending)]/25" : ""} ${
                extraSet.has(r.rule) ? "bg-[var(--color-state-pending)]/15" : ""
              }`}
            >
              <td className={`${cell} text-right text-[var(--muted)]`}>{r.packets}</td>
              <td className={`${cell} text-right text-[var(--muted)]`}>{r.bytes}</td>
              <td className={`${cell} whitespace-pre`}>
                <RuleText rule={r.rule} />
                {extraSet.has(r.rule) ? (
                  <span className="ml-2 rounded bg-[var(--fill-pending)] px-1 text-[10px] text-white">
                    extra
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
          {lacking.map((rule) => (
            <tr
              key={`missing ${rule}`}
              data-testid="nat-rule-missing"
              data-rule={rule}
              data-drift="missing"
              className="bg-[var(--color-state-error)]/10"
            >
              <td className={`${cell} text-right text-[var(--color-state-error)]`}>—</td>
              <td className={cell} />
              <td
                className={`${cell} whitespace-pre text-[var(--color-state-error)] line-through decoration-1`}
              >
                {rule}
                <span className="ml-2 rounded bg-[var(--fill-danger)] px-1 text-[10px] text-white no-underline">
                  missing
                </span>
              </td>
            </tr>
          ))}
          {rules.length === 0 && lacking.length === 0 ? (
            <tr>
              <td colSpan={3} className={`${cell} text-[var(--muted)]`}>
                no rules
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </ScrollBox>
  );
}

export function AddressTable({ links }: { links: readonly IpJsonLink[] }) {
  return (
    <table className="w-full font-mono text-[11px]" data-testid="addr-table">
      <thead>
        <tr>
          <th className={head}>device</th>
          <th className={head}>state</th>
          <th className={head}>mtu</th>
          <th className={head}>mac</th>
          <th className={head}>addresses</th>
        </tr>
      </thead>
      <tbody>
        {links.map((l) => (
          <tr key={l.ifname ?? String(l.ifindex)}>
            <td className={cell}>{l.ifname}</td>
            <td className={cell}>{l.operstate}</td>
            <td className={cell}>{l.mtu}</td>
            <td className={cell}>{l.address}</td>
            <td className={cell}>
              {(l.addr_info ?? [])
                .filter((a) => a.family === "inet")
                .map((a) => `${a.local}/${a.prefixlen}`)
                .join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RoutesTable({
  routes,
  missing = [],
}: {
  routes: readonly IpJsonRoute[];
  missing?: readonly string[];
}) {
  return (
    <table className="w-full font-mono text-[11px]" data-testid="routes-table">
      <thead>
        <tr>
          <th className={head}>destination</th>
          <th className={head}>via</th>
          <th className={head}>dev</th>
          <th className={head}>proto</th>
        </tr>
      </thead>
      <tbody>
        {routes.map((r) => (
          <tr key={`${r.dst} ${r.gateway ?? ""} ${r.dev ?? ""}`}>
            <td className={cell}>{r.dst}</td>
            <td className={cell}>{r.gateway ?? ""}</td>
            <td className={cell}>{r.dev ?? ""}</td>
            <td className={cell}>{r.protocol ?? ""}</td>
          </tr>
        ))}
        {missing.map((m) => (
          <tr
            key={m}
            data-drift="missing"
            className="bg-[var(--color-state-error)]/10 text-[var(--color-state-error)]"
          >
            <td className={cell} colSpan={4}>
              {m} <span className="rounded bg-[var(--fill-danger)] px-1 text-[10px] text-white">missing</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OvsShow({ text, fresh }: { text: string; fresh: boolean }) {
  return (
    <ScrollBox label="ovs-vsctl show" className="rounded border border-[var(--border)] bg-[var(--bg)]">
      <pre
        data-testid="ovs-show"
        className={`p-2 font-mono text-[11px] leading-4 ${fresh ? "bg-[var(--color-state-pending)]/25" : ""}`}
      >
        {text}
      </pre>
    </ScrollBox>
  );
}

/** A qdhcp namespace's dnsmasq: running or not (drift), its hosts and options files, the end of its log. */
export function DhcpServer({ section, fresh }: { section: DhcpSection; fresh: boolean }) {
  const file = (title: string, text: string | null) => (
    <div>
      <h4 className="text-[10px] font-medium text-[var(--muted)] uppercase">{title}</h4>
      <ScrollBox label={`dnsmasq ${title}`} className="rounded border border-[var(--border)] bg-[var(--bg)]">
        <pre className="p-2 font-mono text-[11px] leading-4">{text ?? "(missing)"}</pre>
      </ScrollBox>
    </div>
  );
  return (
    <div data-testid="dhcp-server" className={`mt-2 ${fresh ? "bg-[var(--color-state-pending)]/25" : ""}`}>
      <h3 className="text-xs font-semibold text-[var(--muted)]">
        dnsmasq{" "}
        <span
          data-testid="dhcp-state"
          style={{ color: section.running ? "var(--color-state-active)" : "var(--color-state-error)" }}
        >
          {section.running ? `running (pid ${section.pid})` : "not running"}
        </span>
      </h3>
      <div className="grid gap-2 lg:grid-cols-2">
        {file("hosts", section.hosts)}
        {file("opts", section.opts)}
      </div>
      {file("log", section.log.length > 0 ? section.log.join("\n") : "(empty)")}
    </div>
  );
}

/**
 * Interfaces that others plugged into the integration bridge with an iface-id (VMs' taps, containers' veths):
 * bound ones with their port and tag; the rest (unbound, down, refused, unplugged) marked, with the reason.
 */
export function PluggedInterfaces({ interfaces }: { interfaces: readonly PluggedInterface[] }) {
  if (interfaces.length === 0)
    return <p className="text-sm text-[var(--muted)]">No interface is plugged with an iface-id.</p>;
  return (
    <table className="w-full font-mono text-[11px]" data-testid="plugged-table">
      <thead>
        <tr>
          <th className={head}>interface</th>
          <th className={head}>iface-id</th>
          <th className={head}>state</th>
          <th className={head}>tag</th>
          <th className={head}>why</th>
        </tr>
      </thead>
      <tbody>
        {interfaces.map((i) => (
          <tr
            key={i.name}
            data-testid="plugged-interface"
            data-state={i.state}
            className={i.state === "bound" ? "" : "text-[var(--color-state-error)]"}
          >
            <td className={cell}>{i.name}</td>
            <td className={cell}>{i.iface_id}</td>
            <td className={cell}>{i.state}</td>
            <td className={cell}>{i.tag ?? ""}</td>
            <td className={cell}>{i.message ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const endpoint = (address: string, port: number | null) => (port === null ? address : `${address}:${port}`);
const direction = (t: ConntrackTuple) => `${endpoint(t.src, t.sport)} → ${endpoint(t.dst, t.dport)}`;

/**
 * A router namespace's `conntrack -L`: each connection as it came and as its answers go back, so that a DNAT (the
 * reply's source is the instance, not the floating IP) or a hairpin SNAT (the reply goes to the gateway) shows.
 */
export function ConntrackTable({ entries }: { entries: readonly ConntrackEntry[] }) {
  if (entries.length === 0) return <p className="text-sm text-[var(--muted)]">No tracked connections.</p>;
  return (
    <table className="w-full font-mono text-[11px]" data-testid="conntrack-table">
      <thead>
        <tr>
          <th className={head}>proto</th>
          <th className={head}>state</th>
          <th className={head}>original</th>
          <th className={head}>reply</th>
          <th className={head}>flags</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.text} data-testid="conntrack-entry" title={e.text}>
            <td className={cell}>{e.protocol}</td>
            <td className={cell}>{e.state ?? ""}</td>
            <td className={cell}>{direction(e.original)}</td>
            <td className={cell}>{direction(e.reply)}</td>
            <td className={cell}>{e.flags.join(" ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
