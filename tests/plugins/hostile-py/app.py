"""A Python plugin that misbehaves on demand, to prove the host contains an interpreter as
it contains compiled Rust (tests/plugins/hostile is the Rust one). It behaves (no
findings) unless an object's title starts with "HOSTILE:", followed by one of:

- loop: an infinite loop (runs out of fuel);
- grow: allocates until memory passes the cap;
- print: prints without end (stopped at the print bound);
- raise: raises an exception nobody catches (a trap, with the traceback captured);
- error: returns the WIT error (the plugin says it cannot evaluate);
- file: tries to read files; reports what it could (FILE_DENIED or FILE_READ);
- clock: reads the clocks and sleeps for a minute; reports what it saw (CLOCK);
- network: tries to open a TCP connection to the address in the object's description
  (host:port) and to resolve a name; reports NET_DENIED or NET_CONNECTED;
- random: reports 16 bytes of os.urandom and of the random module (RANDOM);
- environment: reports the environment, arguments and working directory (ENVIRONMENT).
"""

import json
import os
import sys
import time

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types


def finding(code, message):
    return types.Finding(code=code, severity=types.Severity.INFO, message=message, field=None, translations=[])


class Rule(exports.Rule):
    def describe(self):
        return types.PluginInfo(
            id="hostile-py",
            jurisdiction="INT",
            version="1.0.0",
            phases=[types.Phase.ISSUANCE, types.Phase.EXIT_CHECK],
            descriptions=[types.Localized(lang="en", text="Test only: a Python plugin that misbehaves when an object's title starts with HOSTILE:.")],
        )

    def evaluate(self, certificate, context):
        subject = json.loads(certificate)
        objects = subject.get("application", subject).get("objects", [])
        behaviour, target = "", ""
        for item in objects:
            title = item.get("title") or ""
            if title.startswith("HOSTILE:"):
                behaviour, target = title[len("HOSTILE:"):], item.get("description") or ""
                break
        if behaviour == "loop":
            counter = 0
            while True:
                counter += 1
        if behaviour == "grow":
            blocks = []
            while True:
                blocks.append(bytearray(1 << 20))
        if behaviour == "print":
            while True:
                print("spam " * 200)
        if behaviour == "raise":
            raise ValueError("the hostile plugin raises")
        if behaviour == "error":
            raise Err("the hostile plugin cannot evaluate this")
        if behaviour == "file":
            seen = []
            for path in ["/etc/passwd", "/proc/self/environ", ".", "/"]:
                try:
                    if os.path.isdir(path):
                        seen.append(path + ": " + ",".join(os.listdir(path))[:100])
                    else:
                        with open(path, "rb") as handle:
                            seen.append(path + ": " + repr(handle.read(40)))
                except Exception as error:  # denied, as it should be
                    continue
            if seen:
                return [finding("HOSTILE.FILE_READ", "; ".join(seen)[:900])]
            return [finding("HOSTILE.FILE_DENIED", "no file or directory could be read")]
        if behaviour == "clock":
            before = time.time()
            monotonic = time.monotonic()
            time.sleep(60)
            return [finding("HOSTILE.CLOCK", json.dumps({"time": before, "after_sleep": time.time(), "monotonic": monotonic, "monotonic_after": time.monotonic()}))]
        if behaviour == "network":
            outcomes = []
            try:
                import socket

                host, _, port = target.rpartition(":")
                connection = socket.create_connection((host, int(port)), timeout=1)
                connection.sendall(b"hello from a plugin")
                outcomes.append("connected")
            except BaseException as error:
                outcomes.append("connect refused: " + type(error).__name__)
            try:
                import socket

                socket.getaddrinfo("example.org", 80)
                outcomes.append("resolved")
            except BaseException as error:
                outcomes.append("lookup refused: " + type(error).__name__)
            code = "HOSTILE.NET_CONNECTED" if "connected" in outcomes or "resolved" in outcomes else "HOSTILE.NET_DENIED"
            return [finding(code, "; ".join(outcomes))]
        if behaviour == "random":
            import random

            return [finding("HOSTILE.RANDOM", os.urandom(16).hex() + " " + str(random.random()))]
        if behaviour == "environment":
            return [finding("HOSTILE.ENVIRONMENT", json.dumps({"environ": dict(os.environ), "argv": sys.argv, "cwd": _cwd()}))]
        return []


def _cwd():
    try:
        return os.getcwd()
    except Exception as error:
        return "none: " + type(error).__name__
