// tcpdump inside one of our namespaces, for the trace's probe: started before the packet is sent, stopped (and
// killed if it lingers) after; the lines it printed are the evidence of where the packet was seen.
import { type ChildProcess, spawn } from "node:child_process";

export type Capture = {
  namespace: string;
  interface: string;
  child: ChildProcess;
  lines: string[];
  error?: string;
};

/** Starts tcpdump in the namespace on the interface; resolves once it listens (or failed). */
export function startCapture(namespace: string, ifname: string, filter: string[]): Promise<Capture> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      namespace,
      "tcpdump",
      "-i",
      ifname,
      "-n",
      "-l",
      "-t",
      "--immediate-mode",
      "-c",
      "50",
      ...filter,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const capture: Capture = { namespace, interface: ifname, child, lines: [] };
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const parts = out.split("\n");
    out = parts.pop() ?? "";
    capture.lines.push(...parts.filter((l) => l.trim().length > 0));
  });
  return new Promise((resolve) => {
    let err = "";
    const timer = setTimeout(() => {
      capture.error = "tcpdump did not start listening within 2 s";
      resolve(capture);
    }, 2000);
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve(capture);
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      capture.error = error.message;
      resolve(capture);
    });
    child.on("exit", () => {
      clearTimeout(timer);
      if (!/listening on/.test(err)) capture.error = err.trim() || "tcpdump exited";
      resolve(capture);
    });
  });
}

export async function stopCapture(capture: Capture): Promise<void> {
  if (capture.child.exitCode !== null || capture.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => capture.child.once("exit", () => resolve()));
  capture.child.kill("SIGTERM");
  const timer = setTimeout(() => capture.child.kill("SIGKILL"), 1000);
  await exited;
  clearTimeout(timer);
}
