import { LogoutForm } from "@/components/auth/logout";
import { Button } from "@/components/ui/controls";

export const metadata = { title: "Log out · netlens" };

/** Opening this page logs nobody out (any site can link to it): its button does. */
export default function LogoutPage() {
  return (
    <div className="mx-auto mt-16 w-80 rounded-lg border border-[var(--border)] bg-[var(--panel)] p-5 text-center">
      <h1 className="mb-4 text-lg font-semibold">Log out of netlens?</h1>
      <LogoutForm>
        <Button type="submit" variant="primary" data-testid="logout">
          Log out
        </Button>
      </LogoutForm>
    </div>
  );
}
