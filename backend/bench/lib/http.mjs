// HTTP load through autocannon, reported in the same shape as the raw baseline's `closedLoop`.
import autocannon from 'autocannon';

/**
 * `connections` keep-alive connections for `seconds`; `next(i, context)` gives the i-th request's
 * { method, path, headers, body }, `context` being an object of that request's own, which
 * `onResponse(status, body, context)` gets back with its answer. Non-2xx answers count as errors. Stops
 * early when `until` settles.
 */
export async function httpLoad({ base, connections, seconds, next, onResponse, overallRate, until }) {
  let i = 0;
  let instance;
  const finished = new Promise((done, fail) => {
    instance = autocannon({
      url: base,
      connections,
      duration: seconds,
      ...(overallRate ? { overallRate } : {}),
      requests: [
        {
          setupRequest: (request, context) => {
            const { method, path, headers, body } = next(i++, context);
            return { ...request, method, path, headers: { ...request.headers, ...headers }, body };
          },
          ...(onResponse ? { onResponse } : {}),
        },
      ],
    }, (error, result) => (error ? fail(error) : done(result)));
  });
  // Stops early (the result then covers the time until then) when `until` settles first.
  until?.then(() => instance.stop(), () => instance.stop());
  const result = await finished;
  const ok = result['2xx'];
  return {
    seconds: result.duration || seconds,
    count: ok,
    errors: result.non2xx + result.errors + result.timeouts,
    perSecond: ok / (result.duration || seconds),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

export function jsonRequest(method, path, token, body) {
  return {
    method,
    path,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  };
}
