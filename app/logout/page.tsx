import { Logout } from "@/components/auth/logout";

export const metadata = { title: "Log out · netlens" };

export default function LogoutPage() {
  return <Logout />;
}
