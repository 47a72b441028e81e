"use client";
// The login form. It is a plain form first: posted before React has hydrated (a fast user, a password manager
// that submits by itself) or without JavaScript, it goes to POST /api/login, which sets the session cookie and
// redirects. Once hydrated it logs in through tRPC instead and shows errors in place. Either way the whole page
// then reloads, so that the server renders it for the new viewer.
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { useTRPC } from "../trpc/provider";
import { Button, Field, TextInput } from "../ui/controls";

/** How the login page words a failed form post (the code in its URL; never text from the URL itself). */
const FAILURES: Record<string, string> = {
  UNAUTHORIZED: "Invalid username or password",
  TOO_MANY_REQUESTS: "Too many failed logins; try again later",
  FORBIDDEN: "This account has no role on any project; ask an admin for one",
  BAD_REQUEST: "Enter a user name and a password",
};

export function LoginForm({
  next,
  username,
  failure,
}: {
  /** Where to go afterwards: a path of this site (lib/local-path.ts). */
  next: string;
  /** What was typed before a failed form post. */
  username: string;
  /** The code of a failed form post, if this page is its answer. */
  failure: string | undefined;
}) {
  const trpc = useTRPC();
  const login = useMutation(trpc.auth.login.mutationOptions());
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    // Uncontrolled inputs: what was typed before hydration is kept, and read here.
    const form = new FormData(e.currentTarget);
    login.mutate(
      { username: String(form.get("username") ?? ""), password: String(form.get("password") ?? "") },
      { onSuccess: () => window.location.assign(next) },
    );
  };
  const message = login.error
    ? login.error.message
    : failure === undefined
      ? null
      : (FAILURES[failure] ?? "Logging in failed; try again");
  return (
    <form
      method="post"
      action="/api/login"
      onSubmit={submit}
      className="flex flex-col gap-3"
      aria-label="Log in"
    >
      <input type="hidden" name="next" value={next} />
      <Field label="User name" name="username">
        {(props) => <TextInput {...props} autoComplete="username" defaultValue={username} required />}
      </Field>
      <Field label="Password" name="password">
        {(props) => <TextInput {...props} type="password" autoComplete="current-password" required />}
      </Field>
      {message ? (
        <p role="alert" data-testid="login-error" className="text-sm text-[var(--color-state-error)]">
          {message}
        </p>
      ) : null}
      <Button type="submit" variant="primary" busy={login.isPending} data-testid="login-submit">
        Log in
      </Button>
    </form>
  );
}
