import type { Metadata } from "next";
import { FavouritesList } from "~/components/favourites-list.tsx";

export const metadata: Metadata = { title: "Your collections" };

export default function CollectionsPage() {
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <h1 className="text-2xl font-semibold text-white">Your collections</h1>
      <section aria-labelledby="favourites" className="space-y-3">
        <h2 id="favourites" className="text-lg font-semibold text-white">
          Favourites
        </h2>
        <FavouritesList />
      </section>
    </div>
  );
}
