"""The peer of scripts/bench-verify.sh: PyJWT (with `cryptography`) checking the
signatures of the same seals, after a kid lookup in the registry's JWKS.

This is the bare signature check a generic JWT verifier does: parse the compact JWS,
look the kid up, verify the Ed25519 (or ES256) signature over the signing input. It
checks no claims (the payload is DEFLATE-compressed, which PyJWT does not read), asks
no registry and runs no rules: less work than a Cartouche verification.

Usage: python3 bench-verify-pyjwt.py JWKS_FILE SEALS_FILE [SECONDS]
Prints one line: RESULT rate=<verifications/s> count=<n> seconds=<s>
Each pass goes over every seal once; passes repeat until SECONDS (default 5) have
passed. Exits 1 if any signature fails.
"""

import json
import sys
import time

import jwt
from jwt.api_jwk import PyJWK

NUMERIC_OFFSET = 45


def token_of(qr_text: str) -> str:
    """The compact JWS in a QR text: {public-url}/v/{two digits per character}."""
    digits = qr_text.strip().rsplit("/v/", 1)[-1]
    if digits.isdigit() and len(digits) % 2 == 0:
        return "".join(chr(int(digits[i : i + 2]) + NUMERIC_OFFSET) for i in range(0, len(digits), 2))
    return digits


def main() -> int:
    jwks_path, seals_path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    with open(jwks_path, encoding="utf-8") as f:
        jwks = json.load(f)
    keys = {}
    for jwk in jwks["keys"]:
        key = PyJWK.from_dict(jwk)
        keys[jwk["kid"]] = (key, jwk.get("alg") or key.algorithm_name)
    with open(seals_path, encoding="utf-8") as f:
        tokens = [token_of(line) for line in f if line.strip()]
    if not tokens:
        print("no seals", file=sys.stderr)
        return 1
    jws = jwt.PyJWS()
    count = 0
    start = time.perf_counter()
    while True:
        for token in tokens:
            kid = jwt.get_unverified_header(token)["kid"]
            key, alg = keys[kid]
            try:
                jws.decode_complete(token, key.key, algorithms=[alg])
            except jwt.InvalidSignatureError:
                print(f"signature refused by PyJWT: {token[:40]}...", file=sys.stderr)
                return 1
            count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    print(f"RESULT rate={count / elapsed:.0f} count={count} seconds={elapsed:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
