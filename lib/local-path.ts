// Where to go after logging in: a page of this site and nothing else. `next` comes from a URL that anyone can
// craft, and browsers read more than `//host` as another host (`/\host`, `/\t/host`, `/.//host` once its dot
// segment is resolved), so the value is resolved as a browser would and must stay on our origin.
const BASE = "http://netlens.invalid";

export function localPath(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE || url.pathname.startsWith("//")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
