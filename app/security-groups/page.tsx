import { SecurityGroupsPage } from "@/components/resources/security-groups";

export default function Page() {
  return <SecurityGroupsPage />;
}
