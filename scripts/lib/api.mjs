// JSON calls to the Iris API from the runner scripts, with fetch.

/**
 * One request; never throws on an HTTP status.
 * @returns {Promise<{ status: number, headers: Headers, text: string, json: any }>} `json` is undefined
 * when the body is empty or not JSON.
 */
export async function api(base, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The parsed body of a 2xx answer (null when empty); any other status throws with the answer in the message. */
export async function apiOk(base, method, path, options) {
  const response = await api(base, method, path, options);
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${method} ${path} answered ${response.status}: ${response.text}`);
  }
  return response.json ?? null;
}
