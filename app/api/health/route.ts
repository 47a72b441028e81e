// Liveness for scripts (up.sh waits on it): answers once the database and the dispatcher have started.
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

export async function GET() {
  const { database } = await getServices();
  return Response.json({ ok: true, database: database.kind });
}
