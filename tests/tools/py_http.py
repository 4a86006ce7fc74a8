#!/usr/bin/env python3
"""Python's http.client making one request, for tests/scenarios/real_clients.sh.

    py_http.py HOST PORT SOURCE_ADDR SOURCE_PORT
Prints "done result=NAME message=..." where NAME is the errno name, the
exception class, or "ok".
"""
import errno
import http.client
import json
import os
import sys

host, port, src, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
print(f"connected pid={os.getpid()} lport={sport}", flush=True)
try:
    conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(src, sport))
    conn.request("GET", "/")
    resp = conn.getresponse()
    resp.read()
    print(f"done result=ok status={resp.status}", flush=True)
except OSError as e:
    name = errno.errorcode.get(e.errno, type(e).__name__) if e.errno else type(e).__name__
    print(f"done result={name} message={json.dumps(str(e))}", flush=True)
except http.client.HTTPException as e:
    print(f"done result={type(e).__name__} message={json.dumps(str(e))}", flush=True)
