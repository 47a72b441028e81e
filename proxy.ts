// Optimistic check before a page renders (Next's Proxy): a visitor without a session cookie goes to the login
// page and comes back afterwards. Only the cookie's presence is checked here; the session itself is checked
// where the data is, by every API procedure and by the pages' layouts (a stale cookie: see LoginGate).
import { type NextRequest, NextResponse } from "next/server";

/** As SESSION_COOKIE in server/auth/http.ts (not imported: Proxy should not pull in server modules). */
const SESSION_COOKIE = "netlens_session";
const OPEN = new Set(["/login", "/logout"]);

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (OPEN.has(pathname) || request.cookies.has(SESSION_COOKIE)) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("next", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

export const config = {
  // Pages only: not the APIs (tRPC, and OpenStack's REST under /identity, /networking, /compute, /image, whose
  // clients need a JSON 401, not a login page), Next's assets or files with an extension.
  matcher: [
    "/((?!api/|identity(?:/|$)|networking(?:/|$)|compute(?:/|$)|image(?:/|$)|_next/|.*\\.[a-z0-9]+$).*)",
  ],
};
