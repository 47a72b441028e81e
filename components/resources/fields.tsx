// A resource's Neutron fields as `openstack ... show` prints them: one row per field, nested values readable.
import { StatusBadge } from "../ui/status";

function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return value.length === 0 ? "—" : value.map(formatValue).join("\n");
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}='${typeof v === "object" && v !== null ? JSON.stringify(v) : formatValue(v)}'`)
      .join(", ");
  }
  return String(value);
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
              {k === "status" && typeof v === "string" ? <StatusBadge status={v} /> : formatValue(v)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
