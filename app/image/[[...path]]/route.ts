// An empty Glance v2 for OpenStack clients, whose server commands need an image service: server/rest/image.ts.
export { restRoute as GET } from "@/server/rest/route";

export const dynamic = "force-dynamic";
