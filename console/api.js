// The API of the instance that served the page: same origin, so the page's policy (connect-src 'self')
// lets nothing else be asked.

const TOKEN_KEY = 'probestream.apiToken';

/** An answer other than 2xx, with the API's stable error code. */
export class ApiFailure extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

async function failure(response) {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || 'request failed';
  try {
    const body = await response.json();
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not the API's JSON (a proxy's page, say): the status says enough.
  }
  return new ApiFailure(
    response.status,
    code,
    message,
    Number(response.headers.get('Retry-After')) || undefined,
  );
}

/** GET a JSON answer; an ApiFailure for anything but 200. */
export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** The token this tab was given for writes (kept for the tab's life only). */
export function apiToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setApiToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A write (PUT, DELETE) with the token when there is one; ApiFailure UNAUTHORIZED when it is needed. */
export async function write(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = apiToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? undefined : response.json();
}

/** Path segment of a user-given value (an SSID, a name): always percent-encoded. */
export function segment(value) {
  return encodeURIComponent(value);
}
