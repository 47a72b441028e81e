// What every bench needs to report: timing a task, the statistics of its runs, and a markdown table to print.
import { performance } from "node:perf_hooks";

/** Milliseconds a task took. */
export async function time(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

export function median(xs: number[]): number {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The value at quantile q (0.9: p90), nearest rank. */
export const quantile = (xs: number[], q: number) =>
  sorted(xs)[Math.max(0, Math.ceil(q * xs.length) - 1)] ?? Number.NaN;
export const min = (xs: number[]) => sorted(xs)[0] ?? Number.NaN;
export const max = (xs: number[]) => sorted(xs).at(-1) ?? Number.NaN;

/** A markdown table, columns padded to their widest cell. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
