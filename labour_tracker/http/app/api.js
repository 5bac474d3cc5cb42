// Signing in and calling the API; the access token is kept in this tab's sessionStorage, never in an address.
const TOKEN = "labour-tracker.token";
const PKCE = "labour-tracker.pkce";

let config = null;

export async function loadConfig() {
  if (config === null) {
    const answer = await fetch("/app/config.json");
    config = await answer.json();
  }
  return config;
}

const EARLY_MS = 30_000; // renew this long before the token expires, so a request never carries a stale one

function token() {
  const saved = sessionStorage.getItem(TOKEN);
  if (!saved) return null;
  const { value, expires } = JSON.parse(saved);
  return Date.now() < expires ? value : null;
}

// A token this tab can use, now or once renewed.
export function hasSession() {
  const saved = sessionStorage.getItem(TOKEN);
  return saved !== null && (token() !== null || Boolean(JSON.parse(saved).refresh));
}

function keep(accessToken, expiresIn, refreshToken = null) {
  const expires = Date.now() + expiresIn * 1000;
  sessionStorage.setItem(TOKEN, JSON.stringify({ value: accessToken, expires, refresh: refreshToken }));
}

// The issuer's access tokens live minutes: renew with the refresh token, or null when signing in again is needed.
async function freshToken() {
  const saved = sessionStorage.getItem(TOKEN);
  if (!saved) return null;
  const { value, expires, refresh } = JSON.parse(saved);
  if (Date.now() < expires - EARLY_MS || !refresh) return Date.now() < expires ? value : null;
  const settings = await loadConfig();
  let answer;
  try {
    answer = await fetch(settings.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: settings.client_id, refresh_token: refresh }),
    });
  } catch {
    throw new Offline("No connection.");
  }
  if (!answer.ok) {
    signOut();
    return null;
  }
  const body = await answer.json();
  keep(body.access_token, body.expires_in, body.refresh_token || refresh);
  return body.access_token;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
}

export async function devSignIn(name, email, phone) {
  const answer = await fetch("/app/dev-sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, email, phone }),
  });
  if (!answer.ok) throw new ApiError(answer.status, await answer.json());
  const body = await answer.json();
  keep(body.access_token, body.expires_in);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomId() {
  return base64url(crypto.getRandomValues(new Uint8Array(18)));
}

// The authorization code flow with PKCE (S256) at the issuer, back to this page's address.
export async function issuerSignIn() {
  const settings = await loadConfig();
  const verifier = randomId() + randomId();
  const state = randomId();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const back = location.origin + location.pathname;
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, back, hash: location.hash }));
  const query = new URLSearchParams({
    client_id: settings.client_id,
    response_type: "code",
    scope: "openid profile email",
    redirect_uri: back,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${settings.authorization_endpoint}?${query}`);
}

// Back from the issuer: trade the code for a token, and take the code out of the address at once.
export async function finishIssuerSignIn() {
  const query = new URLSearchParams(location.search);
  const saved = sessionStorage.getItem(PKCE);
  if (!query.has("code") || saved === null) return false;
  sessionStorage.removeItem(PKCE);
  const { verifier, state, back, hash } = JSON.parse(saved);
  history.replaceState(null, "", location.pathname + hash);
  if (query.get("state") !== state) throw new Error("The sign-in did not come back as it left: please try again.");
  const settings = await loadConfig();
  const answer = await fetch(settings.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: settings.client_id,
      code: query.get("code"),
      redirect_uri: back,
      code_verifier: verifier,
    }),
  });
  if (!answer.ok) throw new Error("Signing in failed: please try again.");
  const body = await answer.json();
  keep(body.access_token, body.expires_in, body.refresh_token || null);
  return true;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.description) || `The service answered ${status}.`);
    this.status = status;
    this.code = body && body.code;
  }
}

export class Offline extends Error {}

// How far the service's clock is ahead of this device's, when more than its Date header's second of rounding.
let clockOffset = 0;

function learnClock(sentAt, answer) {
  const served = Date.parse(answer.headers.get("Date") || "");
  if (Number.isNaN(served)) return;
  const offset = served + 500 - (sentAt + Date.now()) / 2;
  // The header counts whole seconds: follow it only when it moves by more, so times taken moments apart agree.
  if (Math.abs(offset - clockOffset) > 2000) clockOffset = Math.abs(offset) > 2000 ? offset : 0;
}

// Now by the service's clock: times the device records are the ones the service checks against its own.
export function now() {
  return new Date(Date.now() + clockOffset);
}

export async function api(method, path, body = undefined, { idempotencyKey } = {}) {
  const bearer = await freshToken();
  if (bearer === null) {
    location.reload(); // signed out, or the sign-in ran out: the page asks to sign in again
    throw new ApiError(401, { description: "Please sign in again." });
  }
  const headers = { Authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let answer;
  const sentAt = Date.now();
  try {
    answer = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new Offline("No connection.");
  }
  learnClock(sentAt, answer);
  if (answer.status === 204) return null;
  const type = answer.headers.get("Content-Type") || "";
  const parsed = type.includes("json") ? await answer.json() : await answer.text();
  if (!answer.ok) throw new ApiError(answer.status, parsed);
  return parsed;
}

// Download a file the API answers (an export) with the bearer token, as the browser's own download.
export async function download(path, filename) {
  const answer = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${await freshToken()}` } });
  if (!answer.ok) throw new ApiError(answer.status, null);
  const url = URL.createObjectURL(await answer.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function registerServiceWorker() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
}
