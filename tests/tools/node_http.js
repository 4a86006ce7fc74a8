// Node.js http client and server behaving the ways production ones fail, for
// tests/scenarios/real_clients.sh.  Reports like tcpdrive, one line each:
//   listening pid=P | connected pid=P lport=L | first-done | done result=CODE message=...
// and 'trace' lines with the client's steps.
//
//   node node_http.js server HOST PORT silent|hold|keepalive|short-keepalive|big
//   node node_http.js client HOST PORT get|reuse|stall LOCALPORT [STALL_TIMEOUT_MS]
//
// stall's request times out after STALL_TIMEOUT_MS (default 4000): long enough
// for tcpfate's scans to see the stall twice, which takes longer on a slow CPU.
'use strict';
const http = require('http');

const [role, host, portText, mode, localPortText, stallTimeoutText] = process.argv.slice(2);
const port = Number(portText);
const say = (line) => process.stdout.write(line + '\n');
const startedAt = process.hrtime.bigint();
const elapsed = () => Number((process.hrtime.bigint() - startedAt) / 1000000n);

function done(err, extra) {
	if (err)
		say(`done result=${err.code || 'none'} message=${JSON.stringify(err.message)}`);
	else
		say(`done result=ok${extra ? ' ' + extra : ''}`);
}

if (role === 'server') {
	const server = http.createServer((req, res) => {
		req.resume();
		if (mode === 'hold')
			say('request'); /* the test may act once the request is in */
		if (mode === 'silent' || mode === 'hold')
			return; /* never answer (silent: server.timeout closes the socket) */
		if (mode === 'big') {
			res.end(Buffer.alloc(8 << 20, 'x'));
			return;
		}
		res.end('ok\n');
	});
	if (mode === 'silent')
		server.setTimeout(1000);
	if (mode === 'keepalive')
		server.keepAliveTimeout = 3000;
	if (mode === 'short-keepalive')
		server.keepAliveTimeout = 1000; /* idle keep-alive connections closed after 1 s */
	server.listen(port, host, () => say(`listening pid=${process.pid}`));
} else {
	say(`started pid=${process.pid}`);
	const agent = mode === 'reuse' ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
	const request = (onResponse, headers = {}) => {
		/* A fixed local port makes the agent open a new connection each time: not for 'reuse'. */
		const local = mode === 'reuse' ? {} : { localPort: Number(localPortText) };
		const timeout = mode === 'stall' ? { timeout: Number(stallTimeoutText || 4000) } : {};
		const req = http.request({ host, port, path: '/', agent, headers, ...local, ...timeout });
		/* The steps with their time, so that a test that fails under a slow CPU shows where it stood. */
		req.on('socket', (s) => {
			say(`trace socket at=${elapsed()}ms`);
			s.once('connect', () => say(`connected pid=${process.pid} lport=${s.localPort}`));
		});
		req.on('finish', () => say(`trace request-sent at=${elapsed()}ms`));
		req.on('response', (res) => say(`trace response status=${res.statusCode} at=${elapsed()}ms`));
		req.on('error', (e) => { done(e); process.exit(0); });
		req.on('response', onResponse);
		req.end();
		return req;
	};
	if (mode === 'get') {
		request((res) => { res.resume(); res.on('end', () => { done(null, `status=${res.statusCode}`); process.exit(0); }); });
	} else if (mode === 'reuse') {
		/*
		 * Reuse the idle connection 1.5 s into the server's 3 s keep-alive
		 * timeout (the agent itself keeps it up to about 2 s).  The second
		 * request is over 1000 bytes long, the first under 200: a test's
		 * firewall tells them apart by length alone, so that it can lose the
		 * second without racing the client's timer.
		 */
		request((res) => {
			res.resume();
			res.on('end', () => {
				say('first-done');
				const second = (res2) => { res2.resume(); res2.on('end', () => { done(null, 'status=' + res2.statusCode); process.exit(0); }); };
				setTimeout(() => request(second, { 'x-second-request': 'x'.repeat(1000) }), 1500);
			});
		});
	} else if (mode === 'stall') {
		/* Wait for the response but never consume its body: the socket is paused. */
		/* Socket timeouts do not keep Node alive: a real application has other work. */
		setInterval(() => {}, 1000);
		const req = request(() => say('response'));
		req.on('timeout', () => {
			done({ code: 'TIMEOUT', message: 'request timed out' });
			req.destroy();
			setTimeout(() => process.exit(0), 200);
		});
	}
}
