import { csvResponse, votesCsv } from "~/server/csv.ts";

export const GET = (request: Request) => csvResponse(request, "votes.csv", votesCsv);
