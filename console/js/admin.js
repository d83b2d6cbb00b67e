// admin.js: the auditors' and admins' pages: the audit trail and the
// sensitive operations (each shows "not available" while this CA has no
// such route: 404), and the status page: issuers, HSM modules with their
// CMVP status and sunset, CRL freshness per shard, counts, and two charts
// drawn as inline SVG nodes (issuance per day, the sunset timeline).
import {h, s, field, table, failure, fmtTime} from './dom.js';
import {t} from './i18n.js';
import {call} from './api.js';

const PAGE = 50;
// Members holding seconds since 1970: shown as RFC 3339.
const TIME_KEYS = /^(ts|time|at|created|expires|decided|decided_at|executed_at)$/;

function scalar(v) {
	if (v === null || v === undefined)
		return '';
	if (typeof v === 'object')
		return JSON.stringify(v);
	return String(v);
}

// The rows of a list answer: its first array member.
function rowsOf(body) {
	if (Array.isArray(body))
		return body;
	for (const v of Object.values(body || {}))
		if (Array.isArray(v))
			return v;
	return [];
}

// The other members (verification status, totals): shown above the list.
function metaOf(body) {
	const out = [];
	for (const [k, v] of Object.entries(body || {}))
		if (!Array.isArray(v))
			out.push([k, v]);
	return out;
}

function genericTable(rows, id) {
	const cols = [];
	for (const r of rows)
		for (const k of Object.keys(r))
			if (!cols.includes(k))
				cols.push(k);
	return table(cols.map(k => [k, r => TIME_KEYS.test(k) &&
	    typeof r[k] === 'number' && r[k] > 0 ? fmtTime(r[k]) : scalar(r[k])]),
	    rows, {id, class: 'wide'});
}

// A list page over a route that may not exist on this CA yet.
async function listPage(main, key, path, filters) {
	main.append(h('h1', null, t(key + '.title')), h('p', null,
	    t(key + '.intro')));
	const inputs = filters.map(f => h('input', {id: key + '-f-' + f,
	    name: f}));
	const box = h('div', {id: key + '-box'});
	let offset = 0;
	const prev = h('button', {type: 'button', id: key + '-prev',
	    class: 'small'}, t('page.prev'));
	const next = h('button', {type: 'button', id: key + '-next',
	    class: 'small'}, t('page.next'));
	const pos = h('span', {id: key + '-pos'});
	const load = async () => {
		const p = new URLSearchParams({limit: PAGE, offset});
		inputs.forEach(i => i.value.trim() && p.set(i.name, i.value.trim()));
		try {
			const b = await call('GET', path + '?' + p);
			const rows = rowsOf(b);
			box.replaceChildren(
			    h('dl', {class: 'meta', id: key + '-meta'}, metaOf(b).map(
				([k, v]) => [h('dt', null, k), h('dd', null, scalar(v))])),
			    rows.length === 0 ? h('p', {class: 'empty'}, t('list.empty')) :
				genericTable(rows, key + '-table'));
			pos.textContent = (offset + 1) + '–' + (offset + rows.length);
			next.disabled = rows.length < PAGE;
			prev.disabled = offset === 0;
		} catch (e) {
			box.replaceChildren(e.status === 404 ?
			    h('p', {class: 'unavailable', id: key + '-unavailable'},
				t('unavailable') + ' (' + path + ': 404)') :
			    h('p', {class: 'error'}, failure(e)));
			next.disabled = prev.disabled = true;
		}
	};
	prev.addEventListener('click', () => {
		offset = Math.max(0, offset - PAGE);
		load();
	});
	next.addEventListener('click', () => {
		offset += PAGE;
		load();
	});
	const f = h('form', {class: 'inline', id: key + '-filters'},
	    filters.map((n, i) => field(t(key + '.f.' + n), inputs[i])),
	    h('button', {type: 'submit'}, t('list.filter')));
	f.addEventListener('submit', e => {
		e.preventDefault();
		offset = 0;
		load();
	});
	main.append(f, box, h('div', {class: 'pager'}, prev, pos, next));
	await load();
}

// The chain's verification, as `esealctl audit verify` does it.
function verifyBox() {
	const out = h('p', {id: 'audit-verify-out'});
	const b = h('button', {type: 'button', id: 'audit-verify'},
	    t('audit.verify'));
	b.addEventListener('click', async () => {
		out.replaceChildren(t('loading'));
		try {
			const v = (await call('GET', '/api/v1/status?verify=audit')).audit;
			out.className = v.intact ? 'ok' : 'error';
			out.replaceChildren(v.intact ? t('audit.intact') + ': ' +
			    v.records + ' ' + t('audit.records') + ', ' + v.sealed + ' ' +
			    t('audit.sealed') + ', ' + v.checkpoints + ' ' +
			    t('audit.checkpoints') + ' (' + t('audit.newest') + ' ' +
			    v.checkpoint_seq + ')' : t('audit.broken') + ': ' + v.error);
		} catch (e) {
			out.className = 'error';
			out.replaceChildren(failure(e));
		}
	});
	return h('div', {class: 'verify'}, b, out);
}

// The trail a page at a time: after = the last seq of the page before.
export async function audit(main) {
	main.append(h('h1', null, t('audit.title')), h('p', null,
	    t('audit.intro')), verifyBox());
	const inp = n => h('input', {id: 'audit-f-' + n, name: n,
	    type: n === 'from' || n === 'to' ? 'date' : 'text'});
	const names = ['actor', 'action', 'object', 'from', 'to'];
	const inputs = names.map(inp);
	const box = h('div', {id: 'audit-box'});
	const pos = h('span', {id: 'audit-pos'});
	const prev = h('button', {type: 'button', id: 'audit-prev',
	    class: 'small'}, t('page.prev'));
	const next = h('button', {type: 'button', id: 'audit-next',
	    class: 'small'}, t('page.next'));
	let cursors = [0], nextAfter = null;
	const load = async () => {
		const p = new URLSearchParams({limit: PAGE});
		if (cursors[cursors.length - 1])
			p.set('after', cursors[cursors.length - 1]);
		for (const i of inputs) {
			const v = i.value.trim();
			if (!v)
				continue;
			if (i.type === 'date')
				p.set(i.name, Date.parse(v + 'T00:00:00Z') / 1000 +
				    (i.name === 'to' ? 86399 : 0));
			else
				p.set(i.name, v);
		}
		try {
			const b = await call('GET', '/api/v1/audit?' + p);
			const rows = b.records || [];
			nextAfter = b.next_after;
			box.replaceChildren(rows.length === 0 ?
			    h('p', {class: 'empty'}, t('list.empty')) : table([
				['seq', r => String(r.seq)], [t('audit.time'), r => fmtTime(r.ts)],
				[t('audit.f.actor'), r => r.actor],
				[t('audit.f.action'), r => r.action],
				[t('audit.f.object'), r => r.object],
				[t('audit.detail'), r => r.detail],
				[t('audit.source'), r => r.source || '']], rows,
				{id: 'audit-table', class: 'wide'}));
			pos.textContent = rows.length ? rows[0].seq + '–' +
			    rows[rows.length - 1].seq : '';
			next.disabled = !nextAfter;
			prev.disabled = cursors.length < 2;
		} catch (e) {
			box.replaceChildren(e.status === 404 ?
			    h('p', {class: 'unavailable', id: 'audit-unavailable'},
				t('unavailable') + ' (/api/v1/audit: 404)') :
			    h('p', {class: 'error'}, failure(e)));
			next.disabled = prev.disabled = true;
		}
	};
	next.addEventListener('click', () => {
		cursors.push(nextAfter);
		load();
	});
	prev.addEventListener('click', () => {
		cursors.pop();
		load();
	});
	const f = h('form', {class: 'inline', id: 'audit-filters'},
	    names.map((n, i) => field(t('audit.f.' + n), inputs[i])),
	    h('button', {type: 'submit'}, t('list.filter')));
	f.addEventListener('submit', e => {
		e.preventDefault();
		cursors = [0];
		load();
	});
	main.append(f, box, h('div', {class: 'pager'}, prev, pos, next));
	await load();
}

export function operations(main) {
	return listPage(main, 'ops', '/api/v1/operations', ['status']);
}

const W = 640, H = 180, PADL = 36, PADB = 28;

// Issuance per day over the last days: one bar a day.
function perDayChart(st) {
	const days = [];
	const by = new Map(st.issued_per_day.map(d => [d.day, d.issued]));
	for (let i = st.days - 1; i >= 0; i--) {
		const d = new Date((st.now - i * 86400) * 1000).toISOString()
		    .slice(0, 10);
		days.push([d, by.get(d) || 0]);
	}
	const max = Math.max(1, ...days.map(d => d[1]));
	const bw = (W - PADL) / days.length;
	const y = v => H - PADB - v / max * (H - PADB - 10);
	return s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart',
	    id: 'chart-per-day', role: 'img', 'aria-label': t('status.perday')},
	    s('line', {x1: PADL, y1: H - PADB, x2: W, y2: H - PADB,
		class: 'axis'}),
	    s('text', {x: PADL - 4, y: y(max) + 4, class: 'tick',
		'text-anchor': 'end'}, String(max)),
	    s('text', {x: PADL - 4, y: H - PADB, class: 'tick',
		'text-anchor': 'end'}, '0'),
	    days.map(([d, n], i) => s('g', null,
		s('rect', {x: PADL + i * bw + 1, y: y(n), width: bw - 2,
		    height: H - PADB - y(n), class: 'bar'},
		    s('title', null, d + ': ' + n)),
		(days.length - 1 - i) % 7 === 0 ? s('text', {x: PADL + i * bw +
		    bw / 2, y: H - 8, class: 'tick', 'text-anchor': 'middle'},
		    d.slice(5)) : null)));
}

// The sunset timeline: issuers' expiry and HSM modules' sunset dates on
// one time axis from now.
function sunsetChart(st) {
	const ev = [];
	for (const i of st.issuers)
		ev.push([t('status.issuer') + ' ' + i.name, i.not_after, 'issuer']);
	for (const m of (st.hsm && st.hsm.modules) || [])
		if (m.sunset)
			ev.push(['HSM ' + m.id, m.sunset, 'module']);
	const end = Math.max(st.now + 365 * 86400, ...ev.map(e => e[1]));
	const x = v => PADL + (v - st.now) / (end - st.now) * (W - PADL - 40);
	const rowH = 26, hh = 36 + ev.length * rowH;
	return s('svg', {viewBox: `0 0 ${W} ${hh}`, class: 'chart',
	    id: 'chart-sunset', role: 'img', 'aria-label': t('status.sunset')},
	    s('line', {x1: PADL, y1: 20, x2: W - 40, y2: 20, class: 'axis'}),
	    s('text', {x: PADL, y: 14, class: 'tick'}, t('status.now')),
	    s('text', {x: W - 40, y: 14, class: 'tick', 'text-anchor': 'end'},
		new Date(end * 1000).toISOString().slice(0, 10)),
	    ev.map(([label, when, kind], i) => s('g', null,
		s('line', {x1: PADL, y1: 30 + i * rowH + 6, x2: x(when),
		    y2: 30 + i * rowH + 6, class: 'span ' + kind}),
		s('circle', {cx: x(when), cy: 30 + i * rowH + 6, r: 4,
		    class: 'dot ' + (when < st.now + 180 * 86400 ? 'soon' : kind)}),
		s('text', {x: x(when) > W / 2 ? x(when) - 8 : x(when) + 8,
		    y: 30 + i * rowH + 2, class: 'label',
		    'text-anchor': x(when) > W / 2 ? 'end' : 'start'},
		    label + ' ' + new Date(when * 1000).toISOString()
			.slice(0, 10)))));
}

export async function status(main) {
	main.append(h('h1', null, t('status.title')));
	let st;
	try {
		st = await call('GET', '/api/v1/status');
	} catch (e) {
		main.append(h('p', {class: 'error'}, failure(e)));
		return;
	}
	const c = st.counts;
	const tok = st.hsm && st.hsm.token;
	main.append(
	    h('div', {class: 'counts', id: 'counts'},
		['issued', 'revoked', 'pending', 'requests_pending',
		'organizations'].map(k => h('div', {class: 'count',
		id: 'count-' + k}, h('strong', null, String(c[k])),
		h('span', null, t('count.' + k))))),
	    h('h2', null, t('status.issuers')),
	    table([[t('status.name'), i => i.name], [t('status.key'), i => i.key_type],
		[t('status.state'), i => h('span', {class: 'badge ' + i.state},
		    i.state)],
		[t('cert.validity'), i => fmtTime(i.not_before) + ' – ' +
		    fmtTime(i.not_after)],
		[t('status.daysleft'), i => String(i.days_left)],
		[t('status.shards'), i => String(i.crl_shards)]], st.issuers,
		{id: 'issuers-table'}),
	    h('h2', null, t('status.hsm')),
	    tok ? h('p', {id: 'hsm-token'}, tok.module + ': ',
		h('span', {class: 'badge ' + tok.status}, tok.status), ' — ',
		tok.reason) : h('p', {class: 'error'}, t('status.hsm.down')),
	    table([['ID', m => m.id], [t('status.model'), m => m.manufacturer +
		' ' + m.model], ['CMVP', m => m.cmvp_cert], [t('status.standard'),
		m => m.standard], [t('status.listed'), m => m.listed],
		[t('status.sunsetdate'), m => m.sunset ? fmtTime(m.sunset)
		    .slice(0, 10) : '']], (st.hsm && st.hsm.modules) || [],
		{id: 'modules-table'}),
	    h('h2', null, t('status.crls')),
	    table([[t('status.issuer'), x => x.issuer], [t('status.shard'),
		x => String(x.shard)], [t('status.number'), x => x.number < 0 ?
		'' : String(x.number)], ['thisUpdate', x => fmtTime(x.this_update)],
		['nextUpdate', x => fmtTime(x.next_update)], [t('status.state'),
		x => h('span', {class: 'badge ' + x.state}, t('crl.' + x.state))]],
		st.crls, {id: 'crls-table'}),
	    h('h2', null, t('status.perday')), perDayChart(st),
	    h('h2', null, t('status.sunset')), sunsetChart(st));
}
