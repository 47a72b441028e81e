// The API's shapes, inferred from the server's router: no hand-copied interfaces to drift from the server.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type { AppRouter };
export type RouterOutputs = inferRouterOutputs<AppRouter>;
