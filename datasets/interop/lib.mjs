// Helpers of the interoperability test: the documented schema (parsed from
// datasets/README.md, so the test checks the files against what the docs
// promise, not against a copy), readers of peerscope's CSV and JSONL exports,
// and one canonical text per value so that a DuckDB row and an exported row
// compare exactly.
import { readFileSync } from 'node:fs';

// The documented column types, and what each must look like in DuckDB and
// in the Parquet footer. Integers must be signed with their unsigned wire
// values intact; timestamps UTC-adjusted microseconds.
export const TYPES = {
	'timestamp[µs, UTC]': { duckdb: 'TIMESTAMP WITH TIME ZONE', physical: 'INT64', logical: ['TimestampType(isAdjustedToUTC=1', 'MICROS=MicroSeconds()'] },
	int64: { duckdb: 'BIGINT', physical: 'INT64', converted: 'INT_64', logical: ['isSigned=1'] },
	int32: { duckdb: 'INTEGER', physical: 'INT32', converted: 'INT_32', logical: ['isSigned=1'] },
	string: { duckdb: 'VARCHAR', physical: 'BYTE_ARRAY', converted: 'UTF8', logical: ['StringType()'] },
	binary: { duckdb: 'BLOB', physical: 'BYTE_ARRAY', converted: null, logical: null },
	float64: { duckdb: 'DOUBLE', physical: 'DOUBLE', converted: null, logical: null },
};

// readDocs returns, per table in the order the README gives them, the
// columns [{name, type, nullable}] in documented order. A row such as
// "| `time`, `time_ns`, `packet` | | | as in `messages` |" takes its types
// from the messages table.
export function readDocs(path) {
	const lines = readFileSync(path, 'utf8').split('\n');
	const start = lines.findIndex((l) => /^## Tables\b/.test(l));
	if (start < 0) throw new Error(`${path}: no "## Tables" section`);
	const tables = new Map();
	let cur = null;
	for (const line of lines.slice(start + 1)) {
		if (/^## /.test(line)) break;
		const h = /^### (\w+) — /.exec(line);
		if (h) {
			cur = [];
			tables.set(h[1], cur);
			continue;
		}
		if (!cur || !line.startsWith('|')) continue;
		const cells = line.split('|').slice(1, -1).map((c) => c.trim());
		const names = [...cells[0].matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]);
		if (names.length === 0) continue; // header and separator rows
		let type = cells[1];
		const nullable = type.endsWith(', nullable');
		if (nullable) type = type.slice(0, -', nullable'.length);
		for (const name of names) {
			let col = { name, type, nullable };
			if (type === '') {
				const ref = tables.get('messages')?.find((c) => c.name === name);
				if (!ref) throw new Error(`${path}: column ${name} has no type and messages has no ${name}`);
				col = { ...ref };
			}
			if (!TYPES[col.type]) throw new Error(`${path}: column ${name}: undocumented type "${col.type}"`);
			cur.push(col);
		}
	}
	if (tables.size === 0) throw new Error(`${path}: no tables under "## Tables"`);
	return tables;
}

// parseFlatJSON reads one JSONL record of scalars, keeping every number as
// its source text: time_ns does not fit a double.
export function parseFlatJSON(line) {
	const out = {};
	let i = 0;
	const ws = () => { while (line[i] === ' ') i++; };
	const str = () => {
		const m = /"(?:[^"\\]|\\.)*"/y;
		m.lastIndex = i;
		const r = m.exec(line);
		if (!r) throw new Error(`bad JSON string at ${i}: ${line.slice(i, i + 40)}`);
		i = m.lastIndex;
		return JSON.parse(r[0]);
	};
	const expect = (c) => {
		ws();
		if (line[i] !== c) throw new Error(`want '${c}' at ${i}: ${line.slice(i, i + 40)}`);
		i++;
	};
	expect('{');
	ws();
	if (line[i] === '}') return out;
	for (;;) {
		ws();
		const key = str();
		expect(':');
		ws();
		let v;
		if (line[i] === '"') v = str();
		else {
			const m = /null|true|false|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
			m.lastIndex = i;
			const r = m.exec(line);
			if (!r) throw new Error(`bad JSON value at ${i}: ${line.slice(i, i + 40)}`);
			i = m.lastIndex;
			v = r[0] === 'null' ? null : r[0] === 'true' ? true : r[0] === 'false' ? false : { num: r[0] };
		}
		out[key] = v;
		ws();
		if (line[i] === ',') { i++; continue; }
		expect('}');
		return out;
	}
}

// parseCSV reads RFC 4180 text into rows of strings, a field at a time.
export function parseCSV(text) {
	const field = /(?:"((?:[^"]|"")*)"|([^",\r\n]*))(,|\r?\n|$)/y;
	const rows = [];
	let row = [];
	while (field.lastIndex < text.length) {
		const at = field.lastIndex;
		const m = field.exec(text);
		if (!m) throw new Error(`CSV: bad field at byte ${at}: ${text.slice(at, at + 40)}`);
		row.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]);
		if (m[3] !== ',') {
			rows.push(row);
			row = [];
		}
	}
	if (row.length) rows.push([...row, '']); // the text ended just after a comma
	return rows;
}

// timeMicros turns peerscope's RFC 3339 text (always UTC, six fraction
// digits) into µs since 1970.
export function timeMicros(s) {
	const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(s);
	if (!m) throw new Error(`time "${s}" is not YYYY-MM-DDTHH:MM:SS.ffffffZ`);
	return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt(m[2]);
}

const hexOf = (bytes) => Buffer.from(bytes).toString('hex');

// The canonical text of a value. JSONL keeps null apart from ""; CSV
// cannot, so the csv flavour maps both to "".
function canonDuck(v, type, csv) {
	if (v === null || v === undefined) return csv ? '' : 'NULL';
	switch (type) {
	case 'timestamp[µs, UTC]':
		if (typeof v?.micros !== 'bigint') throw new Error(`want a TIMESTAMP WITH TIME ZONE value, got ${v?.constructor?.name}`);
		return v.micros.toString();
	case 'binary':
		if (!(v?.bytes instanceof Uint8Array)) throw new Error(`want a BLOB value, got ${v?.constructor?.name}`);
		return hexOf(v.bytes);
	case 'int64': case 'int32': case 'float64':
		return String(v);
	default:
		return csv ? v : JSON.stringify(v);
	}
}

function canonExport(v, type, csv) {
	if (v === null || (csv && v === '')) return csv ? '' : 'NULL';
	switch (type) {
	case 'timestamp[µs, UTC]': return timeMicros(v).toString();
	case 'binary': return v.toLowerCase();
	case 'int64': return BigInt(csv ? v : v.num).toString();
	case 'int32': case 'float64': return String(Number(csv ? v : v.num));
	default: return csv ? v : JSON.stringify(v);
	}
}

// A row's canonical key: its columns' canonical texts, joined by a
// character no value holds (JSONL strings are quoted, CSV ones are addresses,
// names and error messages).
const SEP = '\u0001';
export const duckKey = (values, cols, csv) => cols.map((c, j) => canonDuck(values[j], c.type, csv)).join(SEP);
export function jsonlKey(line, cols) {
	const obj = parseFlatJSON(line);
	return cols.map((c) => {
		if (!(c.name in obj)) throw new Error(`JSONL record has no column ${c.name}: ${line.slice(0, 200)}`);
		return canonExport(obj[c.name], c.type, false);
	}).join(SEP);
}
export const csvKey = (fields, index, cols) => cols.map((c) => canonExport(fields[index.get(c.name)], c.type, true)).join(SEP);

// diffKeys compares two lists of row keys as multisets and returns a
// readable account of what differs ("" when they agree): the rows only one
// side has, each paired with the other side's row for the same key columns
// when there is one, naming the columns that disagree.
export function diffKeys(cols, left, right, leftName, rightName, keyCols = ['packet']) {
	const count = new Map();
	for (const k of left) count.set(k, (count.get(k) ?? 0) + 1);
	const onlyRight = [];
	for (const k of right) {
		const n = count.get(k) ?? 0;
		if (n > 0) count.set(k, n - 1);
		else onlyRight.push(k.split(SEP));
	}
	const onlyLeft = [];
	for (const k of left) {
		const n = count.get(k) ?? 0;
		if (n > 0) { onlyLeft.push(k.split(SEP)); count.set(k, n - 1); }
	}
	if (onlyLeft.length === 0 && onlyRight.length === 0) return '';
	const keyIdx = keyCols.map((k) => cols.findIndex((c) => c.name === k)).filter((j) => j >= 0);
	const keyOf = (r) => keyIdx.map((j) => r[j]).join('/');
	const rightByKey = new Map(onlyRight.map((r) => [keyOf(r), r]));
	const leftKeys = new Set(onlyLeft.map(keyOf));
	const out = [`${onlyLeft.length} rows only in ${leftName}, ${onlyRight.length} only in ${rightName} ` +
		`(of ${left.length} and ${right.length}; rows paired by ${keyCols.join('/')})`];
	for (const r of onlyLeft.slice(0, 5)) {
		const o = rightByKey.get(keyOf(r));
		if (o) {
			const d = cols.flatMap((c, j) => (r[j] === o[j] ? [] : [`${c.name}: ${leftName} ${r[j]} ≠ ${rightName} ${o[j]}`]));
			out.push(`  ${keyCols.join('/')} ${keyOf(r)}: ${d.join('; ')}`);
		} else out.push(`  only in ${leftName}: ${cols.map((c, j) => `${c.name}=${r[j]}`).join(' ')}`);
	}
	for (const r of onlyRight.filter((x) => !leftKeys.has(keyOf(x))).slice(0, 5)) {
		out.push(`  only in ${rightName}: ${cols.map((c, j) => `${c.name}=${r[j]}`).join(' ')}`);
	}
	return out.join('\n');
}
