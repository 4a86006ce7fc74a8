#!/usr/bin/env python3
"""One connect with a timeout, the way Node, Go, curl and Python's settimeout do it:
a non-blocking connect(), then a wait for the socket to become writable or fail.

    connect_timeout.py ADDR PORT TIMEOUT_SECONDS
Prints "connected pid=P lport=L" once the SYN is out (the local port is bound
first, so it is known even when the connect fails), then
"done result=NAME ms=ELAPSED" where NAME is the errno name or "ok".
"""
import errno
import os
import socket
import sys
import time

addr, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
print(f"connected pid={os.getpid()} lport={s.getsockname()[1]}", flush=True)
s.settimeout(timeout)
start = time.monotonic()
try:
    s.connect((addr, port))
    result = "ok"
except socket.timeout:
    result = "timeout"
except OSError as e:
    result = errno.errorcode.get(e.errno, type(e).__name__)
ms = (time.monotonic() - start) * 1000
s.close()
print(f"done result={result} ms={ms:.1f}", flush=True)
