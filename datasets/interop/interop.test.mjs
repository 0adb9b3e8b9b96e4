// DuckDB reads peerscope's datasets unchanged (issue #2): for every sample
// capture in datasets/ and two hand-made ones (capture.mjs), peerscope
// decodes to the hive-partitioned Parquet layout and to Arrow IPC, and DuckDB
// (npm @duckdb/node-api) must see
//   - the documented columns (datasets/README.md, parsed here) with the
//     documented types: signed integers, TIMESTAMP WITH TIME ZONE, BLOB, the
//     hive key `channel` as a column and nowhere inside the files;
//   - every row peerscope exports for the same input, value for value: the
//     JSONL of `peerscope query CAPTURE` (decoded while streaming, no Parquet
//     involved) and the CSV of `peerscope query DATASET` (peerscope reading
//     its own Parquet back);
//   - the counts `peerscope info` and manifest.json report, the channels the
//     generator's truth file names, and, for the hand-made capture, the
//     values its bytes hold.
// Run through run.sh, which builds peerscope and sets PEERSCOPE_BIN and
// INTEROP_WORK.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import * as crafted from './capture.mjs';
import { TYPES, csvKey, diffKeys, duckKey, jsonlKey, parseCSV, parseFlatJSON, readDocs, timeMicros } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = process.env.PEERSCOPE_BIN;
const work = process.env.INTEROP_WORK;
if (!bin || !work) throw new Error('run this through datasets/interop/run.sh (it sets PEERSCOPE_BIN and INTEROP_WORK)');

const docs = readDocs(join(repo, 'datasets/README.md'));
const TABLES = [...docs.keys()];
const fileCols = (table) => docs.get(table).filter((c) => c.name !== 'channel');
const keyCols = (table) => (table === 'peer_lists' ? ['packet', 'entry'] : ['packet']);
const q = (s) => `'${s.replaceAll("'", "''")}'`;

// The inputs: every committed sample with its truth file, and the two
// hand-made captures (written now, so nothing binary is committed).
mkdirSync(work, { recursive: true });
crafted.writePcap(join(work, 'crafted.pcap'), crafted.frames);
crafted.writePcap(join(work, 'digits.pcap'), crafted.digitFrames);
const samples = readdirSync(join(repo, 'datasets')).filter((f) => f.endsWith('.pcapng')).sort().map((f) => {
	const name = basename(f, '.pcapng');
	const truth = join(repo, 'datasets', `${name}.truth.json`);
	return { name, capture: join(repo, 'datasets', f), truth: existsSync(truth) ? truth : null, inputErrors: false };
});
if (samples.length === 0) throw new Error('datasets/ holds no sample captures (*.pcapng)');
const inputs = [
	...samples,
	{ name: 'crafted', capture: join(work, 'crafted.pcap'), inputErrors: true },
	{ name: 'digits', capture: join(work, 'digits.pcap'), inputErrors: false },
];

// peerscope runs two at a time (the machine has two cores); each run's
// stdout goes to a file.
let running = 0;
const waiting = [];
async function peerscope(args, out) {
	while (running >= 2) await new Promise((r) => waiting.push(r));
	running++;
	try {
		return await new Promise((res, rej) => {
			const fd = openSync(out, 'w');
			const p = spawn(bin, args, { stdio: ['ignore', fd, 'pipe'] });
			let stderr = '';
			p.stderr.on('data', (d) => { stderr += d; });
			p.on('error', rej);
			p.on('close', (code) => { closeSync(fd); res({ code, stderr, cmd: `peerscope ${args.join(' ')}` }); });
		});
	} finally {
		running--;
		waiting.shift()?.();
	}
}

// Everything peerscope produces for one input, started at once for all.
for (const inp of inputs) {
	const d = join(work, inp.name);
	mkdirSync(d, { recursive: true });
	inp.pq = join(d, 'parquet');
	inp.arrow = join(d, 'arrow');
	inp.ready = (async () => {
		const runs = {};
		const exports = Promise.all([
			peerscope(['decode', inp.capture, '-o', inp.pq, '--format', 'parquet'], join(d, 'decode-parquet.txt')).then((r) => { runs.decodeParquet = r; }),
			peerscope(['decode', inp.capture, '-o', inp.arrow, '--format', 'arrow'], join(d, 'decode-arrow.txt')).then((r) => { runs.decodeArrow = r; }),
			peerscope(['info', inp.capture], join(d, 'info.txt')).then((r) => { runs.info = r; }),
			...TABLES.map((t) => peerscope(['query', inp.capture, 't >= 0', '--table', t, '--format', 'jsonl'], join(d, `${t}.jsonl`)).then((r) => { runs[`jsonl ${t}`] = r; })),
		]);
		await exports;
		await Promise.all(TABLES.map((t) => peerscope(['query', inp.pq, 't >= 0', '--table', t, '--format', 'csv'], join(d, `${t}.csv`)).then((r) => { runs[`csv ${t}`] = r; })));
		// Reading a capture with malformed frames exits 1 (errors reported,
		// output written), and so does reading its dataset back: the
		// manifest keeps the errors.
		for (const [what, r] of Object.entries(runs)) {
			const want = inp.inputErrors ? 1 : 0;
			if (r.code !== want) throw new Error(`${r.cmd}: exit status ${r.code}, want ${want}\n${r.stderr}`);
		}
		const manifest = readFileSync(join(inp.pq, 'manifest.json'), 'utf8');
		inp.manifest = JSON.parse(manifest);
		// Nanoseconds since 1970 do not fit a double: keep their digits.
		for (const k of ['first_ns', 'last_ns']) inp.manifest[k] = BigInt(new RegExp(`"${k}": *(\\d+)`).exec(manifest)[1]);
		inp.info = readFileSync(join(d, 'info.txt'), 'utf8');
		// The exports stay on disk: each test reads what it needs and lets it
		// go (holding them all made the garbage collector the main cost).
		inp.jsonlPath = (t) => join(d, `${t}.jsonl`);
		inp.csvPath = (t) => join(d, `${t}.csv`);
		inp.rows = Object.fromEntries(TABLES.map((t) => [t, jsonlLines(inp, t).length]));
	})();
}
// The tests are laid out from what peerscope wrote (an empty table gets one
// test, not six), so all of it is ready before any is declared.
const t0 = performance.now();
for (const inp of inputs) {
	try {
		await inp.ready;
	} catch (e) {
		inp.error = e;
	}
}
const prepSeconds = ((performance.now() - t0) / 1000).toFixed(1);

// Nothing is downloaded: a test that reached for the network would pass or
// fail with the network, not with our files.
const db = await (await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false' })).connect();
after(() => db.closeSync());
let arrowReader = null; // why Arrow IPC files cannot be read, or null when they can
try {
	await db.run('LOAD nanoarrow');
} catch (e) {
	arrowReader = `DuckDB ${(await all('SELECT version() AS v'))[0][0]} has no Arrow IPC reader here: ` +
		`read_arrow is the community extension nanoarrow, which @duckdb/node-api does not bundle and this machine ` +
		`cannot download (${e.message.split('\n')[0]}). Where it is installed (INSTALL nanoarrow FROM community), ` +
		`this test compares every Arrow table too.`;
}

async function all(sql) {
	const r = await db.runAndReadAll(sql);
	return r.getRows();
}
async function objects(sql) {
	const r = await db.runAndReadAll(sql);
	return r.getRowObjects();
}

// The documented way (hive_types) and the plain one that issue #2 names.
const scan = (inp, table, typed = true) =>
	`read_parquet(${q(`${inp.pq}/${table}/*/*.parquet`)}, hive_partitioning = true${typed ? ", hive_types = {'channel': VARCHAR}" : ''})`;

function jsonlLines(inp, table) {
	return readFileSync(inp.jsonlPath(table), 'utf8').split('\n').filter((l) => l !== '');
}
function jsonlRecords(inp, table) {
	return jsonlLines(inp, table).map(parseFlatJSON);
}

function partFiles(inp, table) {
	const dir = join(inp.pq, table);
	if (!existsSync(dir)) return [];
	return readdirSync(dir).flatMap((p) => readdirSync(join(dir, p)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).map((f) => join(dir, p, f)));
}

// infoNumber reads "frames    30390" style lines of `peerscope info`.
function infoNumber(inp, key) {
	const m = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(inp.info);
	assert.ok(m, `peerscope info printed no "${key}" line:\n${inp.info}`);
	return Number(m[1]);
}
function infoTypes(inp) {
	const block = /^types\n((?: {2}.*\n)*)/m.exec(inp.info);
	assert.ok(block, `peerscope info printed no types block:\n${inp.info}`);
	return Object.fromEntries(block[1].trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([k, v]) => [k, Number(v)]));
}

// The channels the generator's truth file names: the live or pps channel,
// the start-up rate classes' channels, the VoD movies and the other movies
// peers cache.
function truthChannels(truth) {
	const set = new Set();
	if (typeof truth.channel === 'string') set.add(truth.channel);
	for (const c of truth.channels ?? []) {
		if (typeof c.channel === 'string') set.add(c.channel);
		if (typeof c.movie === 'string') set.add(c.movie);
	}
	for (const m of truth.other_movies ?? []) set.add(m);
	return [...set].sort();
}

for (const inp of inputs) {
	describe(inp.name, () => {
		if (inp.error) {
			test('peerscope decodes and exports the capture', () => { throw inp.error; });
			return;
		}

		test('manifest, peerscope info and the exports count the same rows', (t) => {
			if (inp === inputs[0]) t.diagnostic(`peerscope decoded and exported all ${inputs.length} captures in ${prepSeconds} s`);
			for (const table of TABLES) {
				assert.equal(inp.manifest.rows[table], inp.rows[table], `${table}: manifest.json rows vs lines of the JSONL export of the capture`);
				assert.equal(parseCSV(readFileSync(inp.csvPath(table), 'utf8')).length - 1, inp.rows[table],
					`${table}: CSV records of the Parquet dataset vs JSONL lines of the capture`);
			}
			assert.equal(infoNumber(inp, 'frames'), inp.rows.messages, 'peerscope info frames vs messages rows');
		});

		for (const table of TABLES) {
			const cols = docs.get(table);
			const inFile = fileCols(table);

			// A table without rows still has a part file (zero rows, its
			// schema in the footer): every test below applies to it too.
			if (partFiles(inp, table).length === 0) {
				test(`${table}: peerscope wrote a Parquet file`, () => {
					assert.fail(`${table} of ${inp.name} has no part file: hive readers cannot read or type an empty directory`);
				});
				continue;
			}
			test(`${table}: DuckDB counts the rows peerscope exports`, async () => {
				const [[n]] = await all(`SELECT count(*) FROM ${scan(inp, table)}`);
				assert.equal(Number(n), inp.rows[table]);
			});

			test(`${table}: DuckDB sees the documented columns and types`, async (t) => {
				const want = [...inFile.map((c) => `${c.name} ${TYPES[c.type].duckdb}`), 'channel VARCHAR'];
				const typed = await objects(`DESCRIBE SELECT * FROM ${scan(inp, table)}`);
				assert.deepEqual(typed.map((r) => `${r.column_name} ${r.column_type}`), want,
					'DuckDB columns (hive_types channel VARCHAR) vs datasets/README.md, channel last as every hive reader puts it');
				// The plain form of issue #2: the channel key is still a column;
				// DuckDB infers its type from the directory names.
				const plain = await objects(`DESCRIBE SELECT * FROM ${scan(inp, table, false)}`);
				assert.deepEqual(plain.slice(0, -1).map((r) => `${r.column_name} ${r.column_type}`), want.slice(0, -1));
				const ch = plain.at(-1);
				assert.equal(ch.column_name, 'channel');
				if (ch.column_type !== 'VARCHAR') {
					t.diagnostic(`plain hive_partitioning = true infers channel as ${ch.column_type} (every channel is a number); ` +
						"hive_types = {'channel': VARCHAR} keeps the documented string");
				}
				const perChannel = async (typed) => (await all(`SELECT channel::VARCHAR, count(*) FROM ${scan(inp, table, typed)} GROUP BY 1 ORDER BY 1`))
					.map(([c, n]) => `${c}: ${n}`);
				assert.deepEqual(await perChannel(false), await perChannel(true), 'rows per channel (as text): plain read vs hive_types read');
			});

			test(`${table}: every Parquet file has the documented physical and logical types, no channel column, zstd, Arrow schema`, async () => {
				const files = partFiles(inp, table);
				const problems = [];
				for (const f of files) {
					const schema = await objects(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${q(f)}) WHERE name <> 'schema'`);
					const got = schema.map((r) => r.name);
					if (got.join() !== inFile.map((c) => c.name).join()) problems.push(`${f}: columns ${got.join(',')}, want ${inFile.map((c) => c.name).join(',')}`);
					for (const c of inFile) {
						const r = schema.find((s) => s.name === c.name);
						if (!r) continue;
						const want = TYPES[c.type];
						const bad = [];
						if (r.type !== want.physical) bad.push(`physical ${r.type} (want ${want.physical})`);
						if (want.converted !== undefined && (r.converted_type ?? null) !== want.converted) bad.push(`converted ${r.converted_type} (want ${want.converted})`);
						for (const part of want.logical ?? []) if (!String(r.logical_type).includes(part)) bad.push(`logical ${r.logical_type} (want ${part})`);
						if (want.logical === null && r.logical_type !== null) bad.push(`logical ${r.logical_type} (want none)`);
						const rep = c.nullable ? 'OPTIONAL' : 'REQUIRED';
						if (r.repetition_type !== rep) bad.push(`${r.repetition_type} (documented ${c.nullable ? 'nullable' : 'never null'})`);
						if (bad.length) problems.push(`${basename(dirname(f))}/${basename(f)} ${c.name} (${c.type}): ${bad.join(', ')}`);
					}
					// A zero-row file has no row group, hence no column chunk
					// whose codec could be checked.
					const [[fileRows]] = await all(`SELECT num_rows FROM parquet_file_metadata(${q(f)})`);
					const codecs = await all(`SELECT DISTINCT compression FROM parquet_metadata(${q(f)})`);
					if (Number(fileRows) > 0 && (codecs.length !== 1 || codecs[0][0] !== 'ZSTD')) problems.push(`${f}: compression ${codecs.map((c) => c[0])}, want ZSTD`);
					const kv = await all(`SELECT count(*) FROM parquet_kv_metadata(${q(f)}) WHERE decode(key) = 'ARROW:schema'`);
					if (Number(kv[0][0]) !== 1) problems.push(`${f}: no ARROW:schema key in the footer`);
				}
				assert.equal(problems.join('\n'), '', 'Parquet footers vs datasets/README.md');
			});

			test(`${table}: every row DuckDB reads equals peerscope's exports (JSONL of the capture, CSV of the Parquet dataset)`, async () => {
				const rows = await all(`SELECT ${cols.map((c) => `"${c.name}"`).join(', ')} FROM ${scan(inp, table)}`);
				const fromJSONL = jsonlLines(inp, table).map((l) => jsonlKey(l, cols));
				let diff = diffKeys(cols, rows.map((r) => duckKey(r, cols, false)), fromJSONL, 'DuckDB', 'peerscope JSONL', keyCols(table));
				assert.equal(diff, '', `${table} of ${inp.name}: DuckDB vs the JSONL export of the capture`);
				const [header, ...records] = parseCSV(readFileSync(inp.csvPath(table), 'utf8'));
				assert.deepEqual(header, cols.map((c) => c.name), 'CSV header vs datasets/README.md');
				const index = new Map(header.map((h, j) => [h, j]));
				diff = diffKeys(cols, rows.map((r) => duckKey(r, cols, true)), records.map((f) => csvKey(f, index, cols)), 'DuckDB', 'peerscope CSV', keyCols(table));
				assert.equal(diff, '', `${table} of ${inp.name}: DuckDB vs the CSV export of the Parquet dataset`);
			});

			test(`${table}: time is the UTC instant of time_ns, truncated to µs`, async () => {
				const bad = await objects(`SELECT packet, time::VARCHAR AS time, time_ns FROM ${scan(inp, table)} ` +
					'WHERE epoch_us("time") <> time_ns // 1000 LIMIT 3');
				assert.deepEqual(bad, [], 'rows whose time is not time_ns truncated to µs');
				// Rendered in UTC whatever the session's zone: the instant is absolute.
				const [[zone]] = await all("SELECT current_setting('TimeZone')");
				await db.run("SET TimeZone = 'Asia/Kolkata'");
				try {
					const r = await all(`SELECT strftime(min("time") AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'), epoch_us(min("time")) FROM ${scan(inp, table)}`);
					const times = jsonlLines(inp, table).map((l) => /"time":"([^"]*)"/.exec(l)[1]);
					if (times.length === 0) {
						assert.deepEqual(r[0], [null, null], 'an empty table has no first time');
						return;
					}
					// Fixed-width RFC 3339 in UTC: the least text is the earliest.
					const first = times.reduce((m, x) => (x < m ? x : m));
					assert.equal(r[0][0], first);
					assert.equal(r[0][1], timeMicros(first));
				} finally {
					await db.run(`SET TimeZone = ${q(zone)}`);
				}
			});
		}

		test('aggregates agree with peerscope: ones, first/last time, error rows, types, channels', async () => {
			const msgs = scan(inp, 'messages');
			const [[n, errors, first, last]] = await all(`SELECT count(*), count(error), epoch_us(min("time")), epoch_us(max("time")) FROM ${msgs}`);
			const j = jsonlRecords(inp, 'messages');
			const times = j.map((o) => timeMicros(o.time));
			assert.equal(Number(n), j.length);
			assert.equal(first, times.reduce((a, b) => (b < a ? b : a)), 'first message time (µs)');
			assert.equal(last, times.reduce((a, b) => (b > a ? b : a)), 'last message time (µs)');
			// The capture's first and last packets bound every frame.
			assert.ok(first >= inp.manifest.first_ns / 1000n && last <= inp.manifest.last_ns / 1000n,
				`frames [${first}, ${last}] µs outside the capture [${inp.manifest.first_ns}, ${inp.manifest.last_ns}] ns`);
			assert.equal(Number(errors), infoNumber(inp, 'errors'), 'error rows vs peerscope info');
			assert.equal(Number(errors), j.filter((o) => o.error !== null).length, 'error rows vs the JSONL export');

			// peerscope info's type histogram, rebuilt from the rows DuckDB reads.
			const types = await all(`SELECT CASE WHEN system = '' THEN 'unknown' WHEN system = 'uus' THEN 'uus'
				WHEN type_name <> '' THEN system || '/' || type_name
				WHEN type = 0 AND error IS NOT NULL THEN system || '/?'
				ELSE system || '/0x' || lpad(lower(printf('%x', type)), 4, '0') END AS label, count(*) FROM ${msgs} GROUP BY label ORDER BY label`);
			assert.deepEqual(Object.fromEntries(types.map(([k, v]) => [k, Number(v)])), infoTypes(inp), 'frames per type: DuckDB vs peerscope info');

			if (partFiles(inp, 'buffer_maps').length > 0) {
				const [[ones]] = await all(`SELECT sum(ones)::BIGINT FROM ${scan(inp, 'buffer_maps')}`);
				assert.equal(ones, jsonlRecords(inp, 'buffer_maps').reduce((s, o) => s + BigInt(o.ones.num), 0n), 'sum of ones in buffer_maps');
			}

			const chans = (await all(`SELECT DISTINCT channel FROM ${msgs} WHERE channel IS NOT NULL ORDER BY 1`)).map((r) => r[0]);
			assert.deepEqual(chans, [...new Set(j.map((o) => o.channel).filter((c) => c !== null))].sort(), 'channels vs the JSONL export');
			if (inp.truth) {
				const truth = JSON.parse(readFileSync(inp.truth, 'utf8'));
				assert.deepEqual(chans, truthChannels(truth), `channels vs ${basename(inp.truth)}`);
			}
			// Frames naming no channel live in the hive null partition and come back as NULL.
			const [[nulls]] = await all(`SELECT count(*) FROM ${msgs} WHERE channel IS NULL`);
			assert.equal(Number(nulls), j.filter((o) => o.channel === null).length, 'NULL channels (__HIVE_DEFAULT_PARTITION__)');
		});

		if (!arrowReader) test('Arrow IPC files: DuckDB reads the rows peerscope exports', async () => {
			for (const table of TABLES) {
				const cols = docs.get(table);
				const rows = await all(`SELECT ${cols.map((c) => `"${c.name}"`).join(', ')} FROM read_arrow(${q(join(inp.arrow, `${table}.arrow`))})`);
				const diff = diffKeys(cols, rows.map((r) => duckKey(r, cols, false)), jsonlLines(inp, table).map((l) => jsonlKey(l, cols)),
					'DuckDB (Arrow IPC)', 'peerscope JSONL', keyCols(table));
				assert.equal(diff, '', `${table}.arrow of ${inp.name}`);
			}
		});
	});
}

// What the hand-made capture's bytes hold, as DuckDB reads it back: the
// truth here is capture.mjs, not peerscope.
describe('crafted capture: the values its bytes hold', () => {
	const inp = inputs.find((i) => i.name === 'crafted');
	if (inp.error) return; // reported in its own suite
	const one = async (table, where = 'true') => {
		const r = await objects(`SELECT * FROM ${scan(inp, table)} WHERE ${where}`);
		assert.equal(r.length, 1, `${table} WHERE ${where}: ${r.length} rows`);
		return r[0];
	};
	const ns = (packet) => crafted.timeNs(packet - 1);

	test('u32 wire values stay positive in signed int64 columns; u16 in int32', async () => {
		const to = await one('tracker_offsets');
		assert.deepEqual([to.tk_off_min, to.tk_off_max, to.width], [4294967000n, 4294967295n, 295n]);
		const hs = await one('handshakes');
		assert.deepEqual([hs.udp_port, hs.tcp_port, hs.client_version, hs.peer_id], [65535, 65534, 4294967295n, 'c0ffee00c0ffee00c0ffee00c0ffee00']);
		const cr = await one('chunk_requests');
		assert.deepEqual([cr.chunk_id, cr.piece, cr.count], [4294967295n, 65535, 1]);
		const pl = await objects(`SELECT entry, ip, udp_port, tcp_port, channel FROM ${scan(inp, 'peer_lists')} ORDER BY entry`);
		assert.deepEqual(pl, [
			{ entry: 0, ip: '10.2.0.10', udp_port: 17788, tcp_port: 0, channel: String(crafted.PPS_CHANNEL) },
			{ entry: 1, ip: '10.2.0.11', udp_port: 65535, tcp_port: 65535, channel: String(crafted.PPS_CHANNEL) },
		]);
	});

	test('buffer maps: bitmap as BLOB bytes, derived values, nullable columns null where documented', async () => {
		const bm = await one('buffer_maps', 'packet = 3');
		assert.equal(Buffer.from(bm.bitmap.bytes).toString('hex'), 'f50e');
		assert.deepEqual(
			[bm.sender, bm.receiver, bm.channel, bm.offset, bm.width, bm.ones, bm.scope, bm.playable, bm.runs, bm.watching_index, bm.up_total_kb, bm.down_total_kb, bm.up_kbps, bm.down_kbps, bm.sub, bm.fill],
			['[2001:db8::1]:4004', '[2001:db8::2]:4004', crafted.G1, 4294967280n, 13, 9, 4294967291n, 1, 4, 12, 4294967295n, 7n, 65535, 0, null, null]);
		const pps = await one('buffer_maps', "system = 'pps'");
		assert.equal(Buffer.from(pps.bitmap.bytes).toString('hex'), '05');
		assert.deepEqual([pps.channel, pps.offset, pps.width, pps.ones, pps.sub, pps.fill, pps.up_total_kb, pps.up_kbps],
			[String(crafted.PPS_CHANNEL), 77n, 3, 2, 4, 10 / 12, null, null]);
		const vod = await one('buffer_maps', "mode = 'vod'");
		assert.deepEqual([vod.channel, vod.width, vod.watching_index, vod.runs, Buffer.from(vod.bitmap.bytes).toString('hex')], [crafted.G3, 10, 10, 2, '0f02']);
	});

	test('messages: error rows keep the exact bytes, a header cut short has a NULL channel, times are exact', async () => {
		const rows = await objects(`SELECT * FROM ${scan(inp, 'messages')} ORDER BY packet`);
		assert.equal(rows.length, crafted.frames.length);
		for (const r of rows) {
			const f = crafted.frames[Number(r.packet) - 1];
			assert.equal(r.time_ns, ns(Number(r.packet)), `${f.what}: time_ns`);
			assert.equal(r.time.micros, ns(Number(r.packet)) / 1000n, `${f.what}: time (µs, truncated)`);
		}
		const errs = rows.filter((r) => r.error !== null);
		assert.deepEqual(errs.map((r) => Number(r.packet)), [5, 6, 7, 9], 'the malformed frames');
		for (const r of errs) {
			const f = crafted.frames[Number(r.packet) - 1];
			const want = f.raw ?? f.payload; // a packet that broke before its IP header keeps all its bytes
			assert.equal(Buffer.from(r.raw.bytes).toString('hex'), want.toString('hex'), `${f.what}: raw`);
		}
		assert.equal(rows[5].channel, null, 'the header cut short names no channel');
		assert.deepEqual([rows[2].src_ip, rows[2].sender], ['2001:db8::1', '[2001:db8::1]:4004'], 'IPv6 text (RFC 5952)');
		assert.deepEqual([rows[7].type, rows[7].type_name, Buffer.from(rows[7].raw.bytes).toString('hex')], [0x7700, '', crafted.frames[7].payload.toString('hex')]);
		assert.deepEqual([rows[13].system, rows[13].channel, rows[13].raw.bytes.length], ['uus', null, 24]);
		assert.deepEqual([rows[0].raw, rows[0].error], [null, null], 'a well-formed frame keeps no raw bytes');
	});

	test('hidden leftovers of an interrupted write are not read', async () => {
		// What createAtomic leaves behind when killed: ".part-N.parquet.tmp-*".
		const file = partFiles(inp, 'messages')[0];
		const leftover = join(dirname(file), `.${basename(file)}.tmp-123456`);
		copyFileSync(file, leftover);
		writeFileSync(leftover, readFileSync(leftover).subarray(0, 100));
		try {
			const [[n]] = await all(`SELECT count(*) FROM ${scan(inp, 'messages')}`);
			assert.equal(Number(n), crafted.frames.length);
		} finally {
			rmSync(leftover);
		}
	});
});

describe('digit-only channel guid', () => {
	const inp = inputs.find((i) => i.name === 'digits');
	if (inp.error) return;
	test('plain hive_partitioning = true keeps the guid text, leading zeros included', async () => {
		const r = await objects(`SELECT typeof(channel) AS t, channel FROM ${scan(inp, 'buffer_maps', false)}`);
		assert.deepEqual(r, [{ t: 'VARCHAR', channel: crafted.DIGITS }]);
	});
});

if (arrowReader) test('Arrow IPC files: DuckDB reads them', (t) => t.skip(arrowReader));
