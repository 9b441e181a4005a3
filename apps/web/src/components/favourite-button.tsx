"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react.tsx";

/** Keeps a galaxy in the volunteer's favourites, or takes it out (their collections page). */
export function FavouriteButton({ galaxyId }: { galaxyId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const favourite = useQuery(trpc.volunteer.isFavourite.queryOptions({ galaxyId }));
  const set = useMutation(
    trpc.volunteer.setFavourite.mutationOptions({
      onSuccess: ({ on }) => {
        queryClient.setQueryData(trpc.volunteer.isFavourite.queryKey({ galaxyId }), on);
        void queryClient.invalidateQueries({ queryKey: trpc.volunteer.favourites.queryKey() });
      },
    }),
  );
  const on = favourite.data === true;
  return (
    <button
      type="button"
      aria-pressed={on}
      disabled={favourite.isPending || set.isPending}
      onClick={() => set.mutate({ galaxyId, on: !on })}
      className="text-sm text-slate-400 hover:text-white disabled:opacity-60"
    >
      {on ? "★ In your favourites" : "☆ Add to favourites"}
    </button>
  );
}
