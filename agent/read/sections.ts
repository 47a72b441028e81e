// Section keys, content hashes and the diff between what a consumer was sent and what the host holds now. Pure.
import { createHash } from "node:crypto";
import type {
  HostSection,
  HostSections,
  NamespaceSectionKind,
  SnapshotSectionKey,
} from "../../lib/host-snapshot";

export function namespaceSectionKey(namespace: string, kind: NamespaceSectionKind): SnapshotSectionKey {
  return `netns/${namespace}/${kind}`;
}

/** 64 bits of sha256: enough to tell versions of one section apart, short enough to send with every section. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Section key -> hash: what a consumer holds after an event, and what a resume starts from. */
export type SectionHashes = ReadonlyMap<string, string>;

export function hashesOf(sections: HostSections): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const [key, section] of Object.entries(sections)) {
    if (section !== undefined) hashes.set(key, section.hash);
  }
  return hashes;
}

export type SectionDiff = { changed: HostSections; removed: SnapshotSectionKey[] };

/** The sections whose hash differs from (or is missing in) `sent`, and the keys of `sent` that are gone. */
export function diffSections(sent: SectionHashes, sections: HostSections): SectionDiff {
  const changed: HostSections = {};
  for (const [key, section] of Object.entries(sections) as [SnapshotSectionKey, HostSection | undefined][]) {
    if (section !== undefined && sent.get(key) !== section.hash) changed[key] = section;
  }
  const removed: SnapshotSectionKey[] = [];
  for (const key of sent.keys()) {
    if (sections[key as SnapshotSectionKey] === undefined) removed.push(key as SnapshotSectionKey);
  }
  removed.sort();
  return { changed, removed };
}

export function isEmptyDiff(diff: SectionDiff): boolean {
  return diff.removed.length === 0 && Object.keys(diff.changed).length === 0;
}
