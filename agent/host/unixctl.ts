// A unixctl call to ovs-vswitchd over its control socket (JSON-RPC 1.0 on a stream socket, what ovs-appctl
// itself speaks): the same answer as `ovs-appctl -t CTL METHOD ARGS...` without a process per call, which on a
// busy 2-core host costs more than the trace itself.
import { readFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { join } from "node:path";

export class UnixctlError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`ovs-appctl ${method}: ${message.trim()}`);
    this.name = "UnixctlError";
  }
}

export function unixctl(
  socketPath: string,
  method: string,
  params: string[],
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: string[] = [];
    const finish = (error: Error | null, result?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(result ?? "");
    };
    const timer = setTimeout(
      () => finish(new UnixctlError(method, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ method, params, id: 0 })));
    socket.on("data", (chunk: string) => {
      chunks.push(chunk);
      // Replies are not delimited: a reply is complete when it parses.
      let reply: { result?: unknown; error?: unknown };
      try {
        reply = JSON.parse(chunks.join("")) as { result?: unknown; error?: unknown };
      } catch {
        return;
      }
      if (reply.error !== null && reply.error !== undefined)
        finish(new UnixctlError(method, String(reply.error)));
      else finish(null, typeof reply.result === "string" ? reply.result : JSON.stringify(reply.result));
    });
    socket.on("error", (error) => finish(new UnixctlError(method, error.message)));
    socket.on("end", () => finish(new UnixctlError(method, "connection closed before a reply")));
  });
}

/** ovs-vswitchd's control socket: `<rundir>/ovs-vswitchd.<pid>.ctl`, the pid from its pid file. */
export async function vswitchdControlSocket(runDir: string): Promise<string> {
  const pid = (await readFile(join(runDir, "ovs-vswitchd.pid"), "utf8")).trim();
  if (!/^\d+$/.test(pid)) throw new Error(`Unreadable ovs-vswitchd pid file in ${runDir}`);
  return join(runDir, `ovs-vswitchd.${pid}.ctl`);
}
