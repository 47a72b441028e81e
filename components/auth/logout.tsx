"use client";
// Logging out: ends the session on the server (its cookie is cleared by the answer), then a fresh login page.
import { useMutation } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "../trpc/provider";

export function Logout() {
  const trpc = useTRPC();
  const { mutate, error } = useMutation(trpc.auth.logout.mutationOptions());
  useEffect(() => {
    mutate(undefined, { onSuccess: () => window.location.assign("/login") });
  }, [mutate]);
  return (
    <p className="mt-16 text-center text-sm text-[var(--muted)]" role="status">
      {error ? `Logging out failed: ${error.message}` : "Logging out…"}
    </p>
  );
}
