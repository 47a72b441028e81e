// One vocabulary of states for the whole UI: what the agent reported, and whether an admin turned it off.
export type DisplayState = "active" | "pending" | "error" | "down" | "admin-down";

/** Admin-down wins over the reported status: an admin who turned it off wants to see that first. */
export function displayState(status: string | undefined, adminStateUp = true): DisplayState {
  if (!adminStateUp) return "admin-down";
  switch (status) {
    case "ACTIVE":
      return "active";
    case "ERROR":
      return "error";
    case "DOWN":
      return "down";
    default:
      // PENDING, BUILD and anything the server adds later: something is still on its way.
      return "pending";
  }
}

export const stateStyle: Record<DisplayState, { color: string; icon: string; label: string }> = {
  active: { color: "var(--color-state-active)", icon: "●", label: "ACTIVE" },
  pending: { color: "var(--color-state-pending)", icon: "◌", label: "PENDING" },
  error: { color: "var(--color-state-error)", icon: "✖", label: "ERROR" },
  down: { color: "var(--color-state-down)", icon: "○", label: "DOWN" },
  "admin-down": { color: "var(--color-state-admindown)", icon: "⏻", label: "ADMIN DOWN" },
};

export function StatusBadge({
  status,
  adminStateUp,
}: {
  status: string | undefined;
  adminStateUp?: boolean;
}) {
  const state = displayState(status, adminStateUp);
  const s = stateStyle[state];
  return (
    <span
      className={`inline-flex items-center gap-1 rounded px-1.5 py-0.5 font-mono text-[10px] font-semibold ${
        state === "pending" ? "pending-pulse" : ""
      }`}
      style={{ color: s.color, background: `color-mix(in srgb, ${s.color} 14%, transparent)` }}
      data-state={state}
      title={status}
    >
      <span aria-hidden>{s.icon}</span>
      {state === "admin-down" ? s.label : (status ?? s.label)}
    </span>
  );
}
