"""Shop passwords: a salted, slow hash (scrypt from the stdlib), compared in constant time."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt cost: ~20-50 ms per check on this kind of machine, so a leaked table
# is slow to attack; the facade caches successful checks briefly so shops
# do not pay it on every request.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(_N, _R, _P, _b64(salt), _b64(digest))


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        # Spend the same time as a real check, so timing does not tell which part was wrong.
        hashlib.scrypt(password.encode(), salt=b"0" * 16, n=_N, r=_R, p=_P, dklen=32)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
