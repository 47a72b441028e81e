import { RoutersList } from "@/components/resources/lists";

export default function Page() {
  return <RoutersList />;
}
