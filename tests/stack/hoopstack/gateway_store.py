"""SQLite storage of the local gateway: service accounts, managed API keys, organisation id.

Everything lives in one file so that a gateway restarted on the same database sees the
same accounts and keys. Managed keys are stored as SHA-256 digests, never in clear.
"""

import hashlib
import json
import secrets
import sqlite3
import threading
import uuid

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS serviceaccounts (
    subject TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    groups TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS apikeys (
    digest TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    groups TEXT NOT NULL
);
"""


def serviceaccount_id(subject):
    """The id the gateway derives for a subject: UUIDv5 in the URL namespace."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/" + subject))


def _scrambled(values, salt):
    # The real gateway guarantees no order; a stable order that is neither the given one nor
    # the sorted one keeps clients honest without making test runs differ from each other.
    return sorted(values, key=lambda v: hashlib.sha256((salt + "\0" + v).encode()).hexdigest())


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


class Store:
    def __init__(self, path, org_id=None):
        self._lock = threading.Lock()
        # A short busy timeout turns a locked database into a prompt 500, as a storage
        # failure of the real gateway would be, instead of a request hanging for long.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1.0)
        self._db.executescript(_SCHEMA)
        self.org_id = self._org_id(org_id)

    def _org_id(self, wanted):
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'org_id'").fetchone()
            if wanted:
                value = str(uuid.UUID(wanted))
            elif row:
                value = row[0]
            else:
                value = str(uuid.uuid4())
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('org_id', ?)", (value,)
            )
        return value

    def close(self):
        with self._lock:
            self._db.close()

    def _resource(self, row):
        subject, sa_id, name, status, groups = row
        return {
            "id": sa_id,
            "org_id": self.org_id,
            "subject": subject,
            "name": name,
            "status": status,
            "groups": _scrambled(json.loads(groups), subject),
        }

    def list_serviceaccounts(self):
        with self._lock:
            rows = self._db.execute(
                "SELECT subject, id, name, status, groups FROM serviceaccounts"
            ).fetchall()
        resources = [self._resource(row) for row in rows]
        return _scrambled_resources(resources)

    def get_serviceaccount(self, subject):
        with self._lock:
            row = self._db.execute(
                "SELECT subject, id, name, status, groups FROM serviceaccounts WHERE subject = ?",
                (subject,),
            ).fetchone()
        return self._resource(row) if row else None

    def create_serviceaccount(self, subject, name, status, groups):
        """Insert an account; returns None when the subject is already registered."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO serviceaccounts (subject, id, name, status, groups)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        subject,
                        serviceaccount_id(subject),
                        name,
                        status,
                        json.dumps(_unique(groups)),
                    ),
                )
            except sqlite3.IntegrityError:
                return None
        return self.get_serviceaccount(subject)

    def update_serviceaccount(self, subject, name, status, groups):
        """Replace name, status and groups; returns None when the subject is unknown."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE serviceaccounts SET name = ?, status = ?, groups = ? WHERE subject = ?",
                (name, status, json.dumps(_unique(groups)), subject),
            )
            if cursor.rowcount == 0:
                return None
        return self.get_serviceaccount(subject)

    def delete_all_serviceaccounts(self):
        with self._lock:
            self._db.execute("DELETE FROM serviceaccounts")

    def create_apikey(self, name, groups, status="active"):
        key = "hpk_" + secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute(
                "INSERT INTO apikeys (digest, name, status, groups) VALUES (?, ?, ?, ?)",
                (_digest(key), name, status, json.dumps(_unique(groups))),
            )
        return key

    def find_apikey(self, key):
        with self._lock:
            row = self._db.execute(
                "SELECT name, status, groups FROM apikeys WHERE digest = ?", (_digest(key),)
            ).fetchone()
        if not row:
            return None
        name, status, groups = row
        return {"name": name, "status": status, "groups": json.loads(groups)}

    def all_groups(self):
        with self._lock:
            rows = self._db.execute("SELECT groups FROM serviceaccounts").fetchall()
        groups = set()
        for (value,) in rows:
            groups.update(json.loads(value))
        return sorted(groups)


def _scrambled_resources(resources):
    by_subject = {r["subject"]: r for r in resources}
    return [by_subject[s] for s in _scrambled(list(by_subject), "list")]
