// app.js: the console's shell: language, navigation by #/page, the
// operator's session shown with its idle timeout, and the pages of each
// role (subscriber.js, ra.js, admin.js).  A client of /api/v1 only.
import {h, clear, banner} from './dom.js';
import {t, lang, setLang} from './i18n.js';
import {getSession, setSession, onSession, idleLeft, call} from './api.js';
import * as sub from './subscriber.js';
import * as ra from './ra.js';
import * as adm from './admin.js';

const OPS = ['ra', 'auditor', 'admin'];
// page: [title key, render(main, query), roles that see it (null: anyone)]
const PAGES = {
	'': ['nav.home', home, null],
	'enrol': ['nav.enrol', sub.enrol, null],
	'request': ['nav.request', sub.request, null],
	'revoke': ['nav.revoke', sub.revoke, null],
	'login': ['nav.login', ra.login, null],
	'queue': ['nav.queue', ra.queue, OPS],
	'orgs': ['nav.orgs', ra.orgs, OPS],
	'certs': ['nav.certs', ra.certs, OPS],
	'audit': ['nav.audit', adm.audit, ['auditor', 'admin']],
	'operations': ['nav.operations', adm.operations, ['auditor', 'admin']],
	'status': ['nav.status', adm.status, ['auditor', 'admin']],
};

function route() {
	const m = location.hash.match(/^#\/([a-z]*)(?:\?(.*))?$/);
	return {page: m ? m[1] : '', query: new URLSearchParams(m && m[2] || '')};
}

function home(main) {
	main.append(h('h1', null, t('home.title')),
	    h('p', null, t('home.intro')),
	    h('div', {class: 'cards'},
		card('#/enrol', 'home.enrol', 'home.enrol.text'),
		card('#/request', 'home.request', 'home.request.text'),
		card('#/revoke', 'home.revoke', 'home.revoke.text'),
		card('#/login', 'home.ops', 'home.ops.text')));
}

function card(href, title, text) {
	return h('a', {class: 'card', href}, h('strong', null, t(title)),
	    h('span', null, t(text)));
}

function nav() {
	const s = getSession(), cur = route().page;
	const el = clear(document.getElementById('nav'));
	for (const [id, [key, , roles]] of Object.entries(PAGES)) {
		if (id === '' || (id === 'login' && s))
			continue;
		if (roles && !(s && roles.includes(s.role)))
			continue;
		el.append(h('a', {href: '#/' + id, id: 'nav-' + id,
		    class: id === cur ? 'current' : null}, t(key)));
	}
	const who = clear(document.getElementById('who'));
	if (s) {
		who.append(h('span', {id: 'whoami'}, s.username + ' (' +
		    t('role.' + s.role) + ')'), ' ', h('span', {id: 'idle'}),
		    ' ', h('button', {type: 'button', id: 'logout', class: 'small',
		    onclick: logout}, t('nav.logout')));
		tick();
	}
	document.getElementById('lang').textContent =
	    lang() === 'ja' ? 'English' : '日本語';
	document.getElementById('foot').textContent = t('foot');
}

async function logout() {
	try {
		await call('DELETE', '/api/v1/session');
	} catch (e) {
		/* ended either way: the token is forgotten below */
	}
	setSession(null);
	banner(t('session.loggedout'), 'info');
	location.hash = '#/login';
}

function tick() {
	const el = document.getElementById('idle');
	const left = idleLeft();
	if (!el || left === null)
		return;
	if (left <= 0) {
		setSession(null);
		banner(t('session.idle'), 'warn');
		location.hash = '#/login';
		return;
	}
	const m = Math.floor(left / 60), sec = String(left % 60).padStart(2, '0');
	el.textContent = t('session.left') + ' ' + m + ':' + sec;
}

function render() {
	const {page, query} = route();
	const p = PAGES[page] || PAGES[''];
	const s = getSession();
	const main = clear(document.getElementById('main'));
	document.documentElement.lang = lang();
	document.title = t(p[0]) + ' — eseal-ca';
	nav();
	if (p[2] && !(s && p[2].includes(s.role))) {
		main.append(h('h1', null, t(p[0])),
		    h('p', {class: 'notice'}, t('need.login')),
		    h('a', {href: '#/login', class: 'button'}, t('nav.login')));
		return;
	}
	if (s && s.must_change && page !== 'login') {
		location.hash = '#/login';
		return;
	}
	p[1](main, query);
}

document.getElementById('lang').addEventListener('click', () => {
	setLang(lang() === 'ja' ? 'en' : 'ja');
	render();
});
window.addEventListener('hashchange', () => {
	banner(null);
	render();
});
onSession(() => nav());
setInterval(tick, 1000);
render();
