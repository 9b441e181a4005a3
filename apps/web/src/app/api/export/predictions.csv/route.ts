import { route } from "~/server/route.ts";
import { csvResponse, predictionsCsv } from "~/server/csv.ts";

export const GET = route((request: Request) => csvResponse(request, predictionsCsv));
