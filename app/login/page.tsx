import { Suspense } from "react";
import { LoginForm } from "@/components/auth/login-form";

export const metadata = { title: "Log in · netlens" };

export default function LoginPage() {
  return (
    <div className="mx-auto mt-16 w-80 rounded-lg border border-[var(--border)] bg-[var(--panel)] p-5">
      <h1 className="mb-4 text-lg font-semibold">Log in to netlens</h1>
      {/* useSearchParams (the page to go back to) needs a Suspense boundary in a prerendered page. */}
      <Suspense>
        <LoginForm />
      </Suspense>
    </div>
  );
}
