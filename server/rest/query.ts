// Neutron's list semantics over the domain's views: filters by any attribute (repeated = any of), `fields=`,
// `sort_key`/`sort_dir`, and `limit`/`marker` pages with a `next` link. The views are the domain's own (what the
// caller may see, already filtered by project); this only narrows and orders them as the query asks.
import { RestError } from "./http";

type View = Record<string, unknown>;

const PAGING = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);

/** Does `value` (a view's attribute) match `wanted` (a query string's)? */
function matches(value: unknown, wanted: string): boolean {
  if (value === null || value === undefined) return wanted === "" || wanted === "None";
  if (typeof value === "boolean") return String(value) === wanted.toLowerCase();
  if (Array.isArray(value)) {
    // fixed_ips=ip_address=203.0.113.5 or fixed_ips=subnet_id=...: an element with that key and value.
    const eq = wanted.indexOf("=");
    if (eq > 0) {
      const key = wanted.slice(0, eq);
      const sought = wanted.slice(eq + 1);
      return value.some((v) => typeof v === "object" && v !== null && String((v as View)[key]) === sought);
    }
    return value.some((v) => String(v) === wanted);
  }
  return String(value) === wanted;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a ?? "").localeCompare(String(b ?? ""));
}

export type Page = { items: View[]; next: string | null };

/**
 * The views `params` asks for. `attributes` are the resource's attribute names: a filter or sort key that is
 * none of them is refused by name (silently ignoring it would list what the caller did not ask for).
 */
export function applyQuery(
  views: readonly View[],
  params: URLSearchParams,
  attributes: readonly string[],
): Page {
  const known = new Set(attributes);
  const filters = new Map<string, string[]>();
  for (const [key, value] of params) {
    if (PAGING.has(key)) continue;
    if (!known.has(key))
      throw new RestError(400, "HTTPBadRequest", `[${key}] is invalid attribute for filtering`);
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  let items = views.filter((v) =>
    [...filters].every(([key, wanted]) => wanted.some((w) => matches(v[key], w))),
  );

  const keys = params.getAll("sort_key");
  const dirs = params.getAll("sort_dir");
  for (const key of keys) {
    if (!known.has(key))
      throw new RestError(400, "HTTPBadRequest", `${key} is invalid attribute for sort_key`);
  }
  for (const dir of dirs) {
    if (dir !== "asc" && dir !== "desc") {
      throw new RestError(400, "HTTPBadRequest", `${dir} is invalid value for sort_dir (asc or desc)`);
    }
  }
  if (keys.length > 0) {
    items = [...items].sort((a, b) => {
      for (const [i, key] of keys.entries()) {
        const order = compare(a[key], b[key]) * (dirs[i] === "desc" ? -1 : 1);
        if (order !== 0) return order;
      }
      return compare(a.id, b.id);
    });
  }

  const marker = params.get("marker");
  if (marker !== null) {
    const at = items.findIndex((v) => v.id === marker);
    if (at < 0) throw new RestError(404, "HTTPNotFound", `Marker ${marker} could not be found`);
    items = items.slice(at + 1);
  }
  const limitText = params.get("limit");
  let next: string | null = null;
  if (limitText !== null) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RestError(400, "HTTPBadRequest", `Limit must be a non-negative integer, not ${limitText}`);
    }
    // limit=0 means no limit, as in Neutron.
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      next = String(items[items.length - 1]?.id);
    }
  }
  return { items: items.map((v) => pickFields(v, params)), next };
}

/** Only the attributes `fields=` names, when it names any. */
export function pickFields(view: View, params: URLSearchParams): View {
  const fields = params.getAll("fields");
  if (fields.length === 0) return view;
  return Object.fromEntries(fields.filter((f) => f in view).map((f) => [f, view[f]]));
}
