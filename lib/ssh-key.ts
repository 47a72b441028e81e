// OpenSSH public keys as Nova's key pairs take them: "<type> <base64 blob> [comment]", the blob starting with
// its own type again (a length-prefixed string), which is how a pasted private key or a truncated line is caught.

const KEY_TYPES = [
  "ssh-rsa",
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
] as const;

export type SshPublicKey = { type: (typeof KEY_TYPES)[number]; blob: Uint8Array; comment: string };

function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The key, or why it is not one (Nova's "Keypair data is invalid" with the reason). */
export function parseSshPublicKey(text: string): SshPublicKey | string {
  const [type, data, ...comment] = text.trim().split(/\s+/);
  const known = KEY_TYPES.find((t) => t === type);
  if (known === undefined) return `unknown key type ${type ?? ""} (expected one of ${KEY_TYPES.join(", ")})`;
  const blob = data === undefined ? null : decodeBase64(data);
  if (blob === null || blob.length < 4) return "the key data is not base64";
  const length = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
  const inner = new TextDecoder().decode(blob.subarray(4, 4 + length));
  if (inner !== known) return `the key data is not a ${known} key`;
  return { type: known, blob, comment: comment.join(" ") };
}
