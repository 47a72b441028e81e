import type { ReactNode } from "react";
import { Refused } from "@/components/auth/viewer";
import { currentViewer } from "@/server/auth/viewer";

/** A host's raw state (namespaces, rules, every project's addresses) is for admins; tenants are refused here. */
export default async function HostsLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  return viewer?.role === "admin" ? children : <Refused what="Host pages" />;
}
