// Bearer secrets (session cookies, API tokens): 256 random bits, stored only as their SHA-256 digest.
import { createHash, randomBytes } from "node:crypto";

/** API tokens start with `nlt_` so that secret scanners and people recognise them in logs and files. */
const TOKEN_PREFIX = "nlt_";

export const newSessionId = () => randomBytes(32).toString("base64url");
export const newApiToken = () => `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;

/** A random secret has all the entropy it needs: a fast digest suffices, and lookups stay one index probe. */
export const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");
