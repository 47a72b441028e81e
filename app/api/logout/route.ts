// Logging out is a POST (the nav's button, the /logout page's form): a link or an image on another site must
// not end a session. server/api/forms.ts.
import { httpContext } from "@/server/api/context";
import { logoutForm } from "@/server/api/forms";

export const dynamic = "force-dynamic";

export function POST(req: Request) {
  return logoutForm((setCookie) => httpContext(req, new URL(req.url), setCookie));
}
