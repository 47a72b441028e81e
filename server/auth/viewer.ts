// Who is looking at a page (server components): the session behind the request's cookie. Read-only: the
// session's sliding expiry is pushed by API calls, not by page renders.
import "server-only";
import { cookies } from "next/headers";
import { cache } from "react";
import { getServices } from "../services";
import { type Viewer, viewerOf } from "./access";
import { sessionFromCookie } from "./credentials";
import { SESSION_COOKIE } from "./http";

/** Per request (React's cache): the layout and a page's guard ask once between them. */
export const currentViewer = cache(async (): Promise<Viewer | null> => {
  const id = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!id) return null;
  const { db, credentialPolicy } = await getServices();
  const session = await sessionFromCookie(db, id, credentialPolicy);
  return session ? viewerOf(db, session) : null;
});
