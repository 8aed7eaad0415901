"""Client side of the instance API: what ``skillpulse db query`` uses while ``skillpulse up`` runs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skillpulse.instance import read_token, running_instance


class RemoteError(RuntimeError):
    """The instance refused or failed the call; the message is the instance's (secrets scrubbed)."""


@dataclass
class Remote:
    url: str
    token: str

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 120.0) -> dict:
        import httpx

        try:
            response = httpx.request(method, self.url.rstrip("/") + path, json=body, timeout=timeout,
                                     headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach the SkillPulse instance at {self.url}: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            raise RemoteError(f"{self.url}{path} answered {response.status_code} without JSON") from None
        if response.status_code >= 400:
            raise RemoteError(data.get("error") or f"{response.status_code}")
        return data

    def query(self, sql: str, max_rows: int | None = None) -> dict:
        return self.call("POST", "/api/query", {"sql": sql, **({"max_rows": max_rows} if max_rows else {})})


def find_remote(data_dir: Path, url: str | None = None, token: str | None = None) -> Remote | None:
    """The instance to talk to: ``url`` if given, else the one the data directory's lock names (if alive).

    The token comes from ``token`` or the data directory's ``api-token`` file.
    """
    if url is None:
        inst = running_instance(data_dir)
        if inst is None:
            return None
        url = inst.url
    if token is None:
        try:
            token = read_token(data_dir)
        except OSError:
            raise RemoteError(f"no API token: pass --token (or SKILLPULSE_API_TOKEN), or run where "
                              f"{Path(data_dir) / 'api-token'} is readable") from None
    return Remote(url, token)
