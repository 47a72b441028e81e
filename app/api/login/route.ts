// The login form's own POST, for a browser that submits before (or without) JavaScript: server/api/forms.ts.
import { httpContext } from "@/server/api/context";
import { loginForm } from "@/server/api/forms";

export const dynamic = "force-dynamic";

export function POST(req: Request) {
  return loginForm(req, (setCookie) => httpContext(req, new URL(req.url), setCookie));
}
