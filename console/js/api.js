// api.js: the console's only way to the CA: fetch() to /api/v1 on this
// origin.  The operator's session token lives in this module and in
// sessionStorage (this tab only, gone when it closes), never in
// localStorage or a cookie; logout and the idle timeout clear both.

const KEY = 'eseal.session';
let session = null;
let lastUse = 0;
const listeners = [];

try {
	session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
	if (session)
		lastUse = Date.now();
} catch (e) {
	session = null;
}

export function getSession() {
	return session;
}

export function onSession(fn) {
	listeners.push(fn);
}

function changed() {
	for (const fn of listeners)
		fn(session);
}

export function setSession(s) {
	session = s;
	lastUse = Date.now();
	if (s)
		sessionStorage.setItem(KEY, JSON.stringify(s));
	else
		sessionStorage.removeItem(KEY);
	changed();
}

// Seconds left before the server's idle expiry (as the login said), or null.
export function idleLeft() {
	if (!session || !session.idle)
		return null;
	return Math.max(0, Math.round(session.idle - (Date.now() - lastUse) / 1000));
}

export class ApiError extends Error {
	constructor(status, body) {
		super((body && body.message) || ('HTTP ' + status));
		this.status = status;
		this.code = body && body.error;
		this.body = body;
	}
}

// call(method, path, {body, token, accept}) -> parsed JSON (or text/bytes).
// token: a subscriber's credential; otherwise the operator's session.
export async function call(method, path, opt = {}) {
	const headers = {};
	const tok = opt.token !== undefined ? opt.token :
	    (session ? session.token : null);
	if (tok)
		headers['Authorization'] = 'Bearer ' + tok;
	if (opt.body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (opt.accept)
		headers['Accept'] = opt.accept;
	const r = await fetch(path, {
		method, headers, cache: 'no-store', credentials: 'omit',
		body: opt.body !== undefined ? JSON.stringify(opt.body) : undefined,
	});
	if (opt.token === undefined && session)
		lastUse = Date.now();
	const ct = r.headers.get('Content-Type') || '';
	let body = null;
	if (r.status !== 204)
		body = ct.startsWith('application/json') ? await r.json() :
		    opt.accept === 'application/pkix-cert' ?
		    new Uint8Array(await r.arrayBuffer()) : await r.text();
	if (!r.ok) {
		if (r.status === 401 && opt.token === undefined && session)
			setSession(null);
		throw new ApiError(r.status, typeof body === 'object' ? body : null);
	}
	return body;
}
