import type { ReactNode } from "react";
import { Refused } from "@/components/auth/viewer";
import { currentViewer } from "@/server/auth/viewer";

/** Accounts, projects and roles: admins only (the API refuses members too; this says so instead of erroring). */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  return viewer?.role === "admin" ? children : <Refused what="Users, projects and role assignments" />;
}
