// pem.js: PEM <-> DER in the browser, for CSR upload and downloads.

export function derToPem(der, label) {
	let bin = '';
	for (const b of der)
		bin += String.fromCharCode(b);
	const b64 = btoa(bin).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
	return '-----BEGIN ' + label + '-----\n' + b64 + '\n-----END ' + label +
	    '-----\n';
}

// The DER of every PEM block in text, in order.
export function pemToDers(text) {
	const out = [];
	const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
	let m;
	while ((m = re.exec(text)) !== null) {
		const bin = atob(m[2].replace(/\s+/g, ''));
		const der = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++)
			der[i] = bin.charCodeAt(i);
		out.push(der);
	}
	return out;
}

// A CSR as the API takes it (PEM text), from the bytes of a file or paste:
// PEM as is, DER (a SEQUENCE, 0x30) wrapped.  null if it is neither.
export function csrPem(bytes) {
	if (bytes.length > 0 && bytes[0] === 0x30)
		return derToPem(bytes, 'CERTIFICATE REQUEST');
	const text = new TextDecoder().decode(bytes);
	return /-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(text) ? text : null;
}

function concat(parts) {
	const n = parts.reduce((a, p) => a + p.length, 0);
	const out = new Uint8Array(n);
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

// A download link for bytes or text (a blob: URL of this origin).
export function downloadLink(a, name, data, type) {
	a.href = URL.createObjectURL(new Blob([data], {type}));
	a.download = name;
	return a;
}

export {concat};
