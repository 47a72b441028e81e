import { z } from "zod";

/** Wait until the host agents applied `revision` (default: every change made so far). */
export const hostWait = z.object({
  revision: z.number().int().min(0).optional(),
  timeout_ms: z.number().int().min(0).max(300_000).default(30_000),
});
export const hostList = z.object({}).optional();
