// ra.js: the operators' pages: login (with the password change the first
// login requires, and a second factor when the CA asks for one), the RA's
// approval queue, organisations and enrolment codes, and the certificate
// search with revocation.  Auditors and admins see the same lists without
// the buttons that change anything (the API refuses them anyway: 403).
import {h, field, table, banner, failure, fmtTime} from './dom.js';
import {t} from './i18n.js';
import {call, getSession, setSession} from './api.js';
import {reasonSelect} from './subscriber.js';

function isRa() {
	const s = getSession();
	return s && s.role === 'ra';
}

function keep(r) {
	setSession({token: r.token, username: r.username, role: r.role,
	    must_change: r.must_change_password,
	    idle: r.idle_timeout_seconds || 0});
}

function landing() {
	const s = getSession();
	location.hash = s.role === 'ra' ? '#/queue' : '#/status';
}

function changeForm(main) {
	const old = h('input', {type: 'password', id: 'pw-old',
	    autocomplete: 'current-password'});
	const nw = h('input', {type: 'password', id: 'pw-new',
	    autocomplete: 'new-password'});
	const nw2 = h('input', {type: 'password', id: 'pw-new2',
	    autocomplete: 'new-password'});
	const f = h('form', {id: 'pw-form'}, h('h2', null, t('pw.title')),
	    h('p', {class: 'notice'}, t('pw.must')),
	    field(t('pw.old'), old), field(t('pw.new'), nw),
	    field(t('pw.new2'), nw2),
	    h('button', {type: 'submit', id: 'pw-submit'}, t('pw.submit')));
	f.addEventListener('submit', async ev => {
		ev.preventDefault();
		if (nw.value !== nw2.value) {
			banner(t('pw.mismatch'), 'error');
			return;
		}
		try {
			keep(await call('POST', '/api/v1/session/password', {body:
			    {old_password: old.value, new_password: nw.value}}));
			banner(t('pw.done'), 'ok');
			landing();
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	main.append(f);
}

export function login(main) {
	main.append(h('h1', null, t('login.title')));
	const s = getSession();
	if (s && s.must_change) {
		changeForm(main);
		return;
	}
	if (s) {
		landing();
		return;
	}
	const user = h('input', {id: 'login-user', autocomplete: 'username'});
	const pw = h('input', {type: 'password', id: 'login-pw',
	    autocomplete: 'current-password'});
	const otp = h('input', {id: 'login-otp', inputmode: 'numeric',
	    autocomplete: 'one-time-code'});
	const otpField = field(t('login.otp'), otp);
	otpField.hidden = true;
	const f = h('form', {id: 'login-form'}, field(t('login.user'), user),
	    field(t('login.pw'), pw), otpField,
	    h('button', {type: 'submit', id: 'login-submit'}, t('login.submit')));
	f.addEventListener('submit', async ev => {
		ev.preventDefault();
		const body = {username: user.value.trim(), password: pw.value};
		if (otp.value.trim())
			body.totp = otp.value.trim();
		try {
			keep(await call('POST', '/api/v1/session', {token: null, body}));
			banner(null);
			if (getSession().must_change) {
				main.replaceChildren(h('h1', null, t('login.title')));
				changeForm(main);
			} else
				landing();
		} catch (e) {
			// The second factor, when the CA wants one for this login.
			if (/totp|second factor|one-time/i.test(e.message + ' ' + e.code))
				otpField.hidden = false;
			banner(failure(e), 'error');
		}
	});
	main.append(f);
}

function age(created) {
	const s = Math.max(0, Math.floor(Date.now() / 1000) - created);
	if (s < 3600)
		return Math.floor(s / 60) + ' ' + t('unit.min');
	if (s < 86400)
		return Math.floor(s / 3600) + ' ' + t('unit.h');
	return Math.floor(s / 86400) + ' ' + t('unit.d');
}

function decideCell(r, reload) {
	if (!isRa())
		return '';
	const reason = h('input', {class: 'reason', id: 'reason-' + r.id,
	    placeholder: t('queue.reason')});
	const approve = h('button', {type: 'button', class: 'approve',
	    id: 'approve-' + r.id}, t('queue.approve'));
	const reject = h('button', {type: 'button', class: 'danger reject',
	    id: 'reject-' + r.id}, t('queue.reject'));
	approve.addEventListener('click', async () => {
		try {
			const x = await call('POST', '/api/v1/requests/' + r.id +
			    '/approve', {body: {}});
			banner(t('queue.approved') + ' ' + r.id + ': ' + x.serial, 'ok');
			reload();
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	reject.addEventListener('click', async () => {
		if (!reason.value.trim()) {
			banner(t('queue.reason.needed'), 'error');
			reason.focus();
			return;
		}
		try {
			await call('POST', '/api/v1/requests/' + r.id + '/reject',
			    {body: {reason: reason.value.trim()}});
			banner(t('queue.rejected') + ' ' + r.id, 'ok');
			reload();
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	return h('div', {class: 'decide'}, approve, reason, reject);
}

export async function queue(main) {
	const status = h('select', {id: 'queue-status'}, ['pending', 'issued',
	    'rejected', 'approved', 'failed'].map(v =>
	    h('option', {value: v}, t('st.' + v))));
	const box = h('div', {id: 'queue'});
	const reload = async () => {
		box.replaceChildren(h('p', null, t('loading')));
		try {
			const [q, o] = await Promise.all([call('GET',
			    '/api/v1/requests?status=' + status.value),
			    call('GET', '/api/v1/organizations')]);
			const orgs = new Map(o.organizations.map(x => [x.id, x]));
			box.replaceChildren(q.requests.length === 0 ?
			    h('p', {class: 'empty'}, t('queue.empty')) :
			    table([
				[t('req.id'), r => String(r.id)],
				[t('org.name'), r => h('span', {class: 'org-name'},
				    r.organization_name || '')],
				[t('org.identifier'), r => h('code', null,
				    r.organization_identifier || '')],
				[t('org.corp'), r => (orgs.get(r.organization) || {})
				    .corporate_number || ''],
				[t('queue.key'), r => r.key ? r.key.type : ''],
				[t('queue.fp'), r => h('code', {class: 'fp'},
				    r.key ? r.key.spki_sha256 : '')],
				[t('queue.holder'), r => t('holder.' + r.key_holder)],
				[t('queue.disclosure'), r => r.disclosure ?
				    [r.disclosure.version, h('br'),
				    r.disclosure.acknowledged_by + ' (' +
				    r.disclosure.title + ')'] : ''],
				[t('queue.age'), r => age(r.created)],
				[t('req.status'), r => [t('st.' + r.status), r.reason ?
				    [h('br'), r.reason] : null]],
				[isRa() ? t('queue.decide') : '', r =>
				    r.status === 'pending' ? decideCell(r, reload) : ''],
			    ], q.requests, {id: 'queue-table'}));
		} catch (e) {
			box.replaceChildren(h('p', {class: 'error'}, failure(e)));
		}
	};
	status.addEventListener('change', reload);
	main.append(h('h1', null, t('queue.title')),
	    field(t('req.status'), status), box);
	await reload();
}

function codeButton(o) {
	const b = h('button', {type: 'button', class: 'small',
	    id: 'code-' + o.id}, t('org.code'));
	const out = h('span', {class: 'code-out', id: 'code-out-' + o.id});
	b.addEventListener('click', async () => {
		try {
			const r = await call('POST', '/api/v1/organizations/' + o.id +
			    '/enrolment-codes', {body: {}});
			out.replaceChildren(h('code', {class: 'new-code'}, r.code), ' ',
			    t('org.code.until') + ' ' + fmtTime(r.expires));
		} catch (e) {
			out.replaceChildren(failure(e));
		}
	});
	return [b, ' ', out];
}

function registerForm(reload) {
	const inp = (id, extra) => h('input', Object.assign({id: 'org-' + id},
	    extra || {}));
	const name = inp('name'), en = inp('en'), corp = inp('corp',
	    {inputmode: 'numeric', maxlength: 13}), country = inp('country',
	    {value: 'JP', maxlength: 2}), ident = inp('ident'), ev = inp('evidence');
	const f = h('form', {id: 'org-form'}, h('h2', null, t('org.register')),
	    h('p', null, t('org.register.text')),
	    h('div', {class: 'grid'}, field(t('org.name'), name),
		field(t('org.en'), en), field(t('org.corp'), corp),
		field(t('org.country'), country),
		field(t('org.identifier.other'), ident),
		field(t('org.evidence'), ev)),
	    h('button', {type: 'submit', id: 'org-submit'}, t('org.register')));
	f.addEventListener('submit', async e => {
		e.preventDefault();
		const body = {name: name.value, english_name: en.value,
		    country: country.value.trim(), evidence: ev.value};
		if (corp.value.trim())
			body.corporate_number = corp.value.trim();
		if (ident.value.trim())
			body.identifier = ident.value.trim();
		try {
			const r = await call('POST', '/api/v1/organizations', {body});
			banner(t('org.registered') + ' ' + r.identifier, 'ok');
			f.reset();
			reload();
		} catch (x) {
			banner(failure(x), 'error');
		}
	});
	return f;
}

export async function orgs(main) {
	const box = h('div', {id: 'orgs'});
	const reload = async () => {
		try {
			const r = await call('GET', '/api/v1/organizations');
			box.replaceChildren(r.organizations.length === 0 ?
			    h('p', {class: 'empty'}, t('org.none')) : table([
				['ID', o => String(o.id)],
				[t('org.name'), o => h('span', {class: 'org-name'}, o.name)],
				[t('org.en'), o => o.english_name],
				[t('org.identifier'), o => h('code', null, o.identifier)],
				[t('org.corp'), o => o.corporate_number],
				[t('org.vetted'), o => [o.evidence, h('br'), o.vetted_by +
				    ' ' + fmtTime(o.created)]],
				[t('org.certs'), o => String(o.certificates) + ' / ' +
				    String(o.pending_requests)],
				[isRa() ? t('org.code') : '', o => isRa() ? codeButton(o) : ''],
			    ], r.organizations, {id: 'orgs-table'}));
		} catch (e) {
			box.replaceChildren(h('p', {class: 'error'}, failure(e)));
		}
	};
	main.append(h('h1', null, t('org.title')));
	if (isRa())
		main.append(registerForm(reload));
	main.append(h('h2', null, t('org.list')), box);
	await reload();
}

function revokeCell(c, reload) {
	if (!isRa() || c.status !== 'issued')
		return c.revocation_reason ? c.revocation_reason + ' ' +
		    fmtTime(c.revoked_at) : '';
	const reason = reasonSelect('cr-reason-' + c.serial);
	const b = h('button', {type: 'button', class: 'danger small',
	    id: 'cr-revoke-' + c.serial}, t('revoke.submit'));
	b.addEventListener('click', async () => {
		try {
			await call('POST', '/api/v1/certificates/' + c.serial + '/revoke',
			    {body: {reason: reason.value}});
			banner(t('revoke.done') + ' ' + c.serial, 'ok');
			reload();
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	return h('div', {class: 'decide'}, reason, b);
}

export async function certs(main, q) {
	const serial = h('input', {id: 'cs-serial', spellcheck: 'false',
	    value: q.get('serial') || ''});
	const org = h('input', {id: 'cs-org', value: q.get('organization') || ''});
	const box = h('div', {id: 'certs'});
	const f = h('form', {id: 'cs-form', class: 'inline'},
	    field(t('cert.serial'), serial), field(t('cert.org'), org),
	    h('button', {type: 'submit', id: 'cs-submit'}, t('cert.search')));
	const reload = async () => {
		const p = new URLSearchParams();
		if (serial.value.trim())
			p.set('serial', serial.value.trim().toLowerCase());
		if (org.value.trim())
			p.set('organization', org.value.trim());
		try {
			const r = await call('GET', '/api/v1/certificates?' + p);
			box.replaceChildren(r.certificates.length === 0 ?
			    h('p', {class: 'empty'}, t('cert.none')) : table([
				[t('cert.serial'), c => h('code', null, c.serial)],
				[t('org.name'), c => h('span', {class: 'org-name'},
				    c.organization_name)],
				[t('org.identifier'), c => c.organization_identifier],
				[t('cert.issuer'), c => c.issuer],
				[t('cert.validity'), c => [fmtTime(c.not_before), h('br'),
				    fmtTime(c.not_after)]],
				[t('req.status'), c => h('span', {class: 'badge ' +
				    c.status}, t('st.' + c.status))],
				[t('cert.revocation'), c => revokeCell(c, reload)],
			    ], r.certificates, {id: 'certs-table'}));
		} catch (e) {
			box.replaceChildren(h('p', {class: 'error'}, failure(e)));
		}
	};
	f.addEventListener('submit', e => {
		e.preventDefault();
		reload();
	});
	main.append(h('h1', null, t('cert.title')), f, box);
	await reload();
}
