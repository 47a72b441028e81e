// The metadata service, reached only through the host agents' relays (signed requests): server/metadata/.
import { logger } from "@/server/logger";
import { serveMetadata } from "@/server/metadata/service";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

const log = logger.child({ part: "metadata" });

async function handle(request: Request): Promise<Response> {
  const services = await getServices();
  return serveMetadata({ db: services.db, secrets: services.metadataSecrets, log }, request);
}

export { handle as GET, handle as HEAD };
