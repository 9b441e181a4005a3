import { randomUUID } from "node:crypto";

/**
 * A route handler whose responses carry a request id and whose faults reach the client as a
 * generic 500 naming that id; the detail goes to the server log only.
 */
export function route<A extends unknown[]>(handler: (request: Request, ...args: A) => Promise<Response>) {
  return async (request: Request, ...args: A): Promise<Response> => {
    const requestId = randomUUID();
    try {
      const response = await handler(request, ...args);
      response.headers.set("x-request-id", requestId);
      return response;
    } catch (error) {
      console.error(`${request.method} ${new URL(request.url).pathname} (request ${requestId}):`, error);
      return Response.json(
        { error: { code: "INTERNAL_SERVER_ERROR", message: `Something went wrong on the server (request ${requestId}).`, requestId } },
        { status: 500, headers: { "x-request-id": requestId } },
      );
    }
  };
}
