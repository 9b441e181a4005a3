import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { SiteHeader } from "~/components/site-header.tsx";
import { TRPCReactProvider } from "~/trpc/react.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "HIWL Galaxy Zoo", template: "%s · HIWL Galaxy Zoo" },
  description: "Classify galaxies from the Sloan Digital Sky Survey and help train a galaxy classifier.",
};

export const viewport: Viewport = { themeColor: "#03050f", width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="font-sans text-slate-200 antialiased">
        <TRPCReactProvider>
          <SiteHeader />
          <main className="mx-auto w-full max-w-6xl px-4 pt-4 pb-16 sm:px-6 sm:pt-8">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
