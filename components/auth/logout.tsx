// Logging out: a form that POSTs to /api/logout (which ends the session, clears its cookie and goes to the login
// page); `children` holds its submit button. A POST, so that a link or an image elsewhere cannot log anyone out;
// a form, so that it needs no script.
import type { ReactNode } from "react";

export function LogoutForm({ children }: { children: ReactNode }) {
  return (
    <form method="post" action="/api/logout" className="contents">
      {children}
    </form>
  );
}
