// The Worker's module entry. It re-exports the Rust build (handlers and Durable Object classes)
// and adds one guarantee the wasm cannot give itself: if the Rust fetch handler panics (a wasm
// trap) or throws, the client still gets an RFC 9457 problem+json 500 with a correlation id,
// never the runtime's error page or a hung request. The Rust side turns every error it can see
// into problem+json; this is the backstop for the ones it cannot.
import Gateway from "../build/worker/shim.mjs";
export * from "../build/worker/shim.mjs";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// A panic traps the wasm instance, and the promises of requests in flight on it never settle.
// The Rust panic hook calls __adgate_panicked, which fails them all so each gets its 500.
const inFlight = new Set();
globalThis.__adgate_panicked = () => {
  for (const fail of inFlight) fail(new Error("the Rust handler panicked"));
  inFlight.clear();
};

function correlationId(request) {
  const given = (request.headers.get("X-Correlation-Id") || "").trim();
  return SAFE_ID.test(given) ? given : crypto.randomUUID();
}

function internalProblem(request, err) {
  const id = correlationId(request);
  const path = new URL(request.url).pathname;
  console.error(`internal error [${id}] ${request.method} ${path}: ${err && err.message}`);
  const body = {
    type: "https://adgate.dev/problems/internal",
    title: "Internal Server Error",
    status: 500,
    detail: "the gateway failed to handle this request; quote the correlation id when reporting it",
    instance: path,
    correlation_id: id,
  };
  return new Response(JSON.stringify(body), {
    status: 500,
    headers: { "Content-Type": "application/problem+json", "X-Correlation-Id": id },
  });
}

export default class AdgateWorker extends Gateway {
  async fetch(request) {
    let fail;
    const panicked = new Promise((_, reject) => (fail = reject));
    inFlight.add(fail);
    try {
      return await Promise.race([super.fetch(request), panicked]);
    } catch (err) {
      return internalProblem(request, err);
    } finally {
      inFlight.delete(fail);
    }
  }
}
