import { route } from "~/server/route.ts";
import { csvResponse, votesCsv } from "~/server/csv.ts";

export const GET = route((request: Request) => csvResponse(request, votesCsv));
