import type { ReactNode } from "react";
import { Refused } from "@/components/auth/viewer";
import { currentViewer } from "@/server/auth/viewer";

/** Who changed what across every project: admins only (audit.list refuses members too). */
export default async function AuditLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  return viewer?.role === "admin" ? children : <Refused what="Audit logs" />;
}
