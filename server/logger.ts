import pino from "pino";

const levels = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);
const wanted = process.env.LOG_LEVEL ?? "";

// env() rejects a bad LOG_LEVEL with the other variables; the logger alone must not throw at import.
export const logger = pino({ name: "netlens", level: levels.has(wanted) ? wanted : "info" });
