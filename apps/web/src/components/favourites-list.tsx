"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";
import { GalaxyTile } from "./galaxy-tile.tsx";

export function FavouritesList() {
  const trpc = useTRPC();
  const favourites = useQuery(trpc.volunteer.favourites.queryOptions());
  if (favourites.isPending) return <p className="text-slate-400">Loading…</p>;
  if (favourites.isError) return <p className="text-rose-300">Could not load your favourites: {favourites.error.message}</p>;
  if (favourites.data.length === 0) {
    return <p className="text-slate-300">None yet: after classifying a galaxy, “Add to favourites” keeps it here.</p>;
  }
  return (
    <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="favourites">
      {favourites.data.map((f) => (
        <li key={f.galaxyId}>
          <GalaxyTile galaxyId={f.galaxyId} imageHash={f.imageHash} />
        </li>
      ))}
    </ul>
  );
}
