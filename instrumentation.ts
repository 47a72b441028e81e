// Start the server's services (database, demo seed, dispatcher) when Next starts, not on the first request,
// so that the agent gets the desired state even before anybody opens the dashboard.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { getServices } = await import("./server/services");
    await getServices();
  }
}
