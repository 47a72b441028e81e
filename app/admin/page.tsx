import { AccountsAdmin } from "@/components/admin/accounts";

export const metadata = { title: "Admin · netlens" };

export default function AdminPage() {
  return <AccountsAdmin />;
}
