"use client";
// The login form. After a login the whole page reloads, so that the server renders it for the new viewer.
import { useMutation } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { useTRPC } from "../trpc/provider";
import { Button, Field, TextInput } from "../ui/controls";

/** Only paths of this site: `next=https://evil.example` must not turn login into an open redirect. */
function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginForm() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const login = useMutation(trpc.auth.login.mutationOptions());
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  // Until React has hydrated, a submit would be the browser's own: a reload that loses what was typed. So the
  // button waits, and the form says POST so that even then no password lands in a URL.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate(
      { username, password },
      { onSuccess: () => window.location.assign(safeNext(params.get("next"))) },
    );
  };
  return (
    <form method="post" onSubmit={submit} className="flex flex-col gap-3" aria-label="Log in">
      <Field label="User name" name="username">
        {(props) => (
          <TextInput
            {...props}
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        )}
      </Field>
      <Field label="Password" name="password">
        {(props) => (
          <TextInput
            {...props}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        )}
      </Field>
      {login.error ? (
        <p role="alert" data-testid="login-error" className="text-sm text-[var(--color-state-error)]">
          {login.error.message}
        </p>
      ) : null}
      <Button
        type="submit"
        variant="primary"
        busy={login.isPending}
        disabled={!hydrated}
        data-testid="login-submit"
      >
        Log in
      </Button>
    </form>
  );
}
