// React Flow v12 re-processes every node object whose identity changed. A live update that rebuilds the graph
// must therefore hand back the previous objects for everything that did not change.

/** Structural equality for plain JSON-like data (what node data is). */
function plainEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && plainEqual(ra[k], rb[k]));
}

/** `next`, with each element replaced by its predecessor (same id) when the two are structurally equal. */
export function reuseUnchanged<T extends { id: string }>(prev: readonly T[], next: readonly T[]): T[] {
  if (prev.length === 0) return [...next];
  const byId = new Map(prev.map((p) => [p.id, p]));
  return next.map((n) => {
    const p = byId.get(n.id);
    return p !== undefined && plainEqual(p, n) ? p : n;
  });
}
