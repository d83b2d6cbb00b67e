// subscriber.js: the subscriber organisation's pages: enrol (code, the
// important-matters disclosure read and acknowledged, CSR and key holder),
// follow a request with its token and download the certificate, and ask
// for a revocation with the enrolment credential.
import {h, field, banner, failure, fmtTime} from './dom.js';
import {t} from './i18n.js';
import {call} from './api.js';
import {csrPem, pemToDers, downloadLink, concat} from './pem.js';

// The request just made, so its status page opens without retyping.  In
// memory only: the token is the subscriber's credential.
let last = null;

const REASONS = ['keyCompromise', 'affiliationChanged', 'superseded',
    'cessationOfOperation', 'privilegeWithdrawn', 'unspecified'];

export function reasonSelect(id) {
	return h('select', {id}, REASONS.map(r =>
	    h('option', {value: r}, t('reason.' + r) + ' (' + r + ')')));
}

async function readCsr(fileInput, pasted) {
	if (fileInput.files.length > 0)
		return csrPem(new Uint8Array(await fileInput.files[0].arrayBuffer()));
	return pasted.trim() ? csrPem(new TextEncoder().encode(pasted)) : null;
}

export async function enrol(main) {
	main.append(h('h1', null, t('enrol.title')));
	let d;
	try {
		d = await call('GET', '/disclosure/current', {token: null});
	} catch (e) {
		main.append(h('p', {class: 'error'}, failure(e)));
		return;
	}
	const code = h('input', {id: 'code', autocomplete: 'off', required: true,
	    spellcheck: 'false'});
	const name = h('input', {id: 'ack-name', required: true});
	const title = h('input', {id: 'ack-title', required: true});
	const read = h('input', {type: 'checkbox', id: 'ack-read'});
	const file = h('input', {type: 'file', id: 'csr-file',
	    accept: '.csr,.pem,.der,.p10'});
	const paste = h('textarea', {id: 'csr-pem', rows: 6, spellcheck: 'false',
	    placeholder: '-----BEGIN CERTIFICATE REQUEST-----'});
	const holder = ['subscriber', 'remote-service'].map((v, i) =>
	    h('label', {class: 'radio'}, h('input', {type: 'radio', name: 'holder',
	    value: v, id: 'holder-' + v, checked: i === 0}), t('holder.' + v)));
	const out = h('div', {id: 'enrol-result'});
	const form = h('form', {id: 'enrol-form'},
	    h('section', null, h('h2', null, '1. ' + t('enrol.code')),
		field(t('enrol.code.label'), code)),
	    h('section', {id: 'disclosure'},
		h('h2', null, '2. ' + t('enrol.disclosure')),
		h('p', {class: 'meta'}, t('disc.version') + ' ',
		    h('code', {id: 'disc-version'}, d.version), ' · SHA-256 ',
		    h('code', {id: 'disc-sha256'}, d.sha256)),
		h('div', {class: 'two'},
		    h('article', {lang: 'ja', id: 'disc-ja'}, h('h3', null, '日本語'),
			h('pre', null, d.text.ja)),
		    h('article', {lang: 'en', id: 'disc-en'}, h('h3', null, 'English'),
			h('pre', null, d.text.en))),
		h('label', {class: 'check'}, read, t('enrol.ack.read')),
		field(t('enrol.ack.name'), name), field(t('enrol.ack.title'), title)),
	    h('section', null, h('h2', null, '3. ' + t('enrol.csr')),
		field(t('enrol.csr.file'), file), field(t('enrol.csr.paste'), paste),
		h('fieldset', null, h('legend', null, t('enrol.holder')), holder)),
	    h('button', {type: 'submit', id: 'enrol-submit'}, t('enrol.submit')));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		if (!read.checked) {
			banner(t('enrol.ack.needed'), 'error');
			return;
		}
		const pem = await readCsr(file, paste.value);
		if (!pem) {
			banner(t('enrol.csr.bad'), 'error');
			return;
		}
		try {
			const r = await call('POST', '/api/v1/enrolments', {token: null,
			    body: {code: code.value.trim(), csr: pem,
			    key_holder: form.querySelector('input[name=holder]:checked').value,
			    acknowledgement: {version: d.version, sha256: d.sha256,
			    name: name.value, title: title.value}}});
			last = {id: r.id, token: r.token};
			form.hidden = true;
			banner(t('enrol.done'), 'ok');
			out.append(h('p', null, t('enrol.keep')),
			    h('dl', null, h('dt', null, t('req.id')),
				h('dd', {id: 'new-id'}, String(r.id)),
				h('dt', null, t('req.token')),
				h('dd', null, h('code', {id: 'new-token'}, r.token)),
				h('dt', null, t('req.status')),
				h('dd', {id: 'new-status'}, t('st.' + r.status))),
			    h('a', {class: 'button', id: 'to-status',
				href: '#/request?id=' + r.id}, t('enrol.follow')));
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	main.append(form, out);
}

function downloads(r) {
	const cert = pemToDers(r.certificate)[0];
	const chain = pemToDers(r.chain || '');
	const base = 'eseal-' + r.serial;
	const a = (id, name, data, type, key) => downloadLink(h('a',
	    {id, class: 'button'}, t(key)), name, data, type);
	return h('div', {id: 'downloads', class: 'downloads'},
	    a('dl-cert-pem', base + '.pem', r.certificate,
		'application/pem-certificate-chain', 'dl.cert.pem'),
	    a('dl-cert-der', base + '.cer', cert, 'application/pkix-cert',
		'dl.cert.der'),
	    a('dl-chain-pem', base + '-chain.pem', r.chain || '',
		'application/pem-certificate-chain', 'dl.chain.pem'),
	    a('dl-chain-der', base + '-chain.der', concat(chain),
		'application/pkix-cert', 'dl.chain.der'));
}

function revokeForm(serial, credential) {
	const reason = reasonSelect('sub-revoke-reason');
	const f = h('form', {id: 'sub-revoke'}, h('h2', null, t('revoke.title')),
	    field(t('revoke.reason'), reason),
	    h('label', {class: 'check'}, h('input', {type: 'checkbox',
		id: 'sub-revoke-sure', required: true}), t('revoke.confirm')),
	    h('button', {type: 'submit', class: 'danger', id: 'sub-revoke-submit'},
		t('revoke.submit')));
	f.addEventListener('submit', async ev => {
		ev.preventDefault();
		try {
			const r = await call('POST', '/api/v1/certificates/' + serial +
			    '/revoke', {token: credential(), body: {reason: reason.value}});
			banner(t('revoke.done') + ' ' + r.serial + ' (' + r.reason + ')',
			    'ok');
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	return f;
}

export function request(main, q) {
	const id = h('input', {id: 'req-id', inputmode: 'numeric',
	    value: q.get('id') || (last ? last.id : '')});
	const tok = h('input', {id: 'req-token', autocomplete: 'off',
	    spellcheck: 'false', value: last && String(last.id) === id.value ?
	    last.token : ''});
	const out = h('div', {id: 'req-result'});
	const form = h('form', {id: 'req-form'}, field(t('req.id'), id),
	    field(t('req.token.or.code'), tok),
	    h('button', {type: 'submit', id: 'req-submit'}, t('req.show')));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		out.replaceChildren();
		try {
			const r = await call('GET', '/api/v1/enrolments/' +
			    encodeURIComponent(id.value.trim()),
			    {token: tok.value.trim()});
			out.append(h('dl', null,
			    h('dt', null, t('req.status')),
			    h('dd', null, h('span', {id: 'req-status',
				class: 'badge ' + r.status}, t('st.' + r.status))),
			    h('dt', null, t('req.created')), h('dd', null, fmtTime(r.created)),
			    r.reason ? [h('dt', null, t('req.reason')),
				h('dd', {id: 'req-reason'}, r.reason)] : null,
			    r.serial ? [h('dt', null, t('cert.serial')),
				h('dd', null, h('code', {id: 'req-serial'}, r.serial))] : null));
			if (r.certificate) {
				out.append(downloads(r));
				out.append(revokeForm(r.serial, () => tok.value.trim()));
			}
		} catch (e) {
			out.append(h('p', {class: 'error', id: 'req-error'}, failure(e)));
		}
	});
	main.append(h('h1', null, t('req.title')), h('p', null, t('req.intro')),
	    form, out);
	if (id.value && tok.value)
		form.requestSubmit();
}

export function revoke(main) {
	const serial = h('input', {id: 'rv-serial', spellcheck: 'false'});
	const cred = h('input', {id: 'rv-cred', autocomplete: 'off'});
	const reason = reasonSelect('rv-reason');
	const f = h('form', {id: 'rv-form'}, field(t('cert.serial'), serial),
	    field(t('req.token.or.code'), cred), field(t('revoke.reason'), reason),
	    h('button', {type: 'submit', class: 'danger'}, t('revoke.submit')));
	f.addEventListener('submit', async ev => {
		ev.preventDefault();
		try {
			const r = await call('POST', '/api/v1/certificates/' +
			    encodeURIComponent(serial.value.trim()) + '/revoke',
			    {token: cred.value.trim(), body: {reason: reason.value}});
			banner(t('revoke.done') + ' ' + r.serial + ' (' + r.reason + ')',
			    'ok');
		} catch (e) {
			banner(failure(e), 'error');
		}
	});
	main.append(h('h1', null, t('revoke.title')), h('p', null,
	    t('revoke.intro')), f);
}
