import { csvResponse, predictionsCsv } from "~/server/csv.ts";

export const GET = (request: Request) => csvResponse(request, "predictions.csv", predictionsCsv);
