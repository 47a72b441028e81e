// Named network namespaces, as iproute2 keeps them: a bind mount per name under /run/netns (`ip netns list`
// reads the same directory). Listing it costs no process, so every reader of the host lists namespaces here.
import { readdir, stat } from "node:fs/promises";

const NETNS_DIR = "/run/netns";

/** The bind mount that names a namespace (what `nsenter --net=` takes). */
export function netnsPath(namespace: string): string {
  return `${NETNS_DIR}/${namespace}`;
}

export async function listNamespaces(): Promise<string[]> {
  try {
    return await readdir(NETNS_DIR);
  } catch (error) {
    // No namespace was ever made on this host: iproute2 creates the directory with the first one.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The namespace's identity (its nsfs inode): a namespace deleted and made again under its name gets another. */
export async function namespaceInode(namespace: string): Promise<string | null> {
  try {
    const s = await stat(`${NETNS_DIR}/${namespace}`);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

export async function namespaceExists(namespace: string): Promise<boolean> {
  return (await namespaceInode(namespace)) !== null;
}
