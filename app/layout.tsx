import type { Metadata } from "next";
import type { ReactNode } from "react";
import { LoginGate, ViewerProvider } from "@/components/auth/viewer";
import { DialogProvider } from "@/components/forms/dialogs";
import { LiveEvents } from "@/components/trpc/live";
import { PendingProvider } from "@/components/trpc/pending";
import { TRPCReactProvider } from "@/components/trpc/provider";
import { Nav } from "@/components/ui/nav";
import { themeScript } from "@/components/ui/theme";
import { ToastProvider } from "@/components/ui/toast";
import { currentViewer } from "@/server/auth/viewer";
import "./globals.css";

export const metadata: Metadata = {
  title: "netlens",
  description: "Neutron-style networks, routers and floating IPs: see them, change them, trace them",
};

/** Async: the viewer comes from the session cookie, so the first paint already shows their role's controls. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const viewer = await currentViewer();
  return (
    // The theme script sets class="dark" before hydration, so React must not complain about that attribute.
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant of ours, needed before first paint */}
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="flex h-screen flex-col overflow-hidden antialiased">
        <TRPCReactProvider>
          <ViewerProvider initial={viewer}>
            <ToastProvider>
              <LiveEvents enabled={viewer !== null}>
                <PendingProvider>
                  <DialogProvider>
                    <Nav />
                    <main className="min-h-0 flex-1 overflow-auto">
                      <LoginGate>{children}</LoginGate>
                    </main>
                  </DialogProvider>
                </PendingProvider>
              </LiveEvents>
            </ToastProvider>
          </ViewerProvider>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
