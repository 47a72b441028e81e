// A resource's Neutron fields as `openstack ... show` prints them: one row per field; structured values
// (external_fixed_ips, addresses, allocation_pools) as small tables rather than raw JSON.
import type { ReactNode } from "react";
import { StatusBadge } from "../ui/status";

function formatScalar(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const cell = "border border-[var(--border)] px-1.5 py-0.5 text-left align-top";

/** One value: a scalar as text, a list of scalars one per line, a list of objects or an object as a table. */
function Value({ value }: { value: unknown }): ReactNode {
  if (Array.isArray(value)) {
    if (value.length === 0) return "—";
    if (value.every(isRecord)) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return (
        <table className="border-collapse" data-testid="value-table">
          <thead>
            <tr>
              {keys.map((k) => (
                <th key={k} scope="col" className={`${cell} font-medium text-[var(--muted)]`}>
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {value.map((row, i) => (
              // Rows have no identity of their own: their place in the list is theirs.
              // biome-ignore lint/suspicious/noArrayIndexKey: a value's list items have no id
              <tr key={i}>
                {keys.map((k) => (
                  <td key={k} className={cell}>
                    <Value value={row[k]} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    return value.map(formatScalar).join("\n");
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "—";
    return (
      <table className="border-collapse" data-testid="value-table">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" className={`${cell} font-medium text-[var(--muted)]`}>
                {k}
              </th>
              <td className={cell}>
                <Value value={v} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return formatScalar(value);
}

export function FieldTable({ value }: { value: Record<string, unknown> }) {
  return (
    <table className="w-full text-xs" data-testid="fields">
      <tbody>
        {Object.entries(value).map(([k, v]) => (
          <tr key={k} className="border-b border-[var(--border)] align-top" data-field={k}>
            <th scope="row" className="py-1 pr-2 text-left font-medium whitespace-nowrap text-[var(--muted)]">
              {k}
            </th>
            <td className="py-1 font-mono break-all whitespace-pre-line">
              {k === "status" && typeof v === "string" ? <StatusBadge status={v} /> : <Value value={v} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
