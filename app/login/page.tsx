import { LoginForm } from "@/components/auth/login-form";
import { localPath } from "@/lib/local-path";

export const metadata = { title: "Log in · netlens" };

type Params = Record<string, string | string[] | undefined>;
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Rendered per request (its query says where to go next and how a form post failed), form and all. */
export default async function LoginPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <div className="mx-auto mt-16 w-80 rounded-lg border border-[var(--border)] bg-[var(--panel)] p-5">
      <h1 className="mb-4 text-lg font-semibold">Log in to netlens</h1>
      <LoginForm
        next={localPath(first(params.next))}
        username={first(params.username) ?? ""}
        failure={first(params.error)}
      />
    </div>
  );
}
