// dom.js: the one way the console builds the page.  Every value is set as
// text (textContent) or as a plain attribute; nothing is ever parsed as HTML,
// so a name like <img src=x onerror=...> from the API shows as those
// characters (docs/console.md "Security of the console").

const SVG_NS = 'http://www.w3.org/2000/svg';

function put(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false)
			continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return el;
}

function attrs(el, a) {
	for (const [k, v] of Object.entries(a || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	return el;
}

// h('p', {class: 'x'}, 'text', child, [more]) -> an HTML element.
export function h(tag, a, ...kids) {
	return put(attrs(document.createElement(tag), a), kids);
}

// s('rect', {x: 1}) -> an SVG element (charts are SVG nodes, never markup).
export function s(tag, a, ...kids) {
	return put(attrs(document.createElementNS(SVG_NS, tag), a), kids);
}

export function clear(el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
}

// A table from rows: cols = [[heading, row => value-or-node], ...].
export function table(cols, rows, a) {
	return h('table', a,
	    h('thead', null, h('tr', null, cols.map(c => h('th', null, c[0])))),
	    h('tbody', null, rows.map(r => h('tr', null,
		cols.map(c => h('td', null, c[1](r)))))));
}

export function field(label, input) {
	return h('label', {class: 'field'}, h('span', null, label), input);
}

export function fmtTime(secs) {
	if (!secs)
		return '';
	return new Date(secs * 1000).toISOString().replace('.000Z', 'Z');
}

// The message line under the header: text, kind info | ok | warn | error.
export function banner(msg, kind) {
	const b = document.getElementById('banner');
	clear(b);
	if (!msg) {
		b.hidden = true;
		return;
	}
	b.className = kind || 'info';
	b.append(msg);
	b.hidden = false;
}

// A message for a failed API call: the server's own sentence and status.
export function failure(e) {
	return (e.status ? e.status + ': ' : '') + e.message;
}
