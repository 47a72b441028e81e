// The login and logout forms as plain HTML form posts, so that they work before JavaScript has loaded, or
// without it: the procedures the tRPC client calls, answered with a redirect (303) that carries the session
// cookie. A failed login goes back to the login page with the error's code, which the page words itself: no
// text of the URL's is ever shown as a message.
import { TRPCError } from "@trpc/server";
import { localPath } from "../../lib/local-path";
import { createCaller } from "./root";
import type { Context } from "./trpc";

/** The request's context, whose cookies (set or cleared) go on the answer through `setCookie`. */
export type FormContext = (setCookie: (header: string) => void) => Promise<Context>;

/** User names are at most 64 characters: a longer value is not worth carrying back to the form. */
const ECHOED_NAME = 64;

function redirect(location: string, cookies: string[]): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** Another site's form must neither log a visitor in (to an account of its choosing) nor out. */
const crossSite = () => new Response("Cross-site request refused\n", { status: 403 });

/** POST /api/login: username, password, next (the page to go back to). */
export async function loginForm(req: Request, contextOf: FormContext): Promise<Response> {
  const cookies: string[] = [];
  const ctx = await contextOf((cookie) => cookies.push(cookie));
  if (ctx.request?.crossSite) return crossSite();
  const form = await req.formData().catch(() => new FormData());
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const next = localPath(field("next"));
  try {
    await createCaller(ctx).auth.login({ username: field("username"), password: field("password") });
    return redirect(next, cookies);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const username = field("username");
    const back = new URLSearchParams({
      next,
      ...(username.length <= ECHOED_NAME ? { username } : {}),
      error: error.code,
    });
    return redirect(`/login?${back}`, cookies);
  }
}

/** POST /api/logout: ends the session and clears its cookie. GET never logs anyone out. */
export async function logoutForm(contextOf: FormContext): Promise<Response> {
  const cookies: string[] = [];
  const ctx = await contextOf((cookie) => cookies.push(cookie));
  if (ctx.request?.crossSite) return crossSite();
  await createCaller(ctx).auth.logout();
  return redirect("/login", cookies);
}
