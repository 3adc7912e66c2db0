"""End to end: identity-service, its outbox worker, the real communication-service and its SMTP sink
as real processes on 127.0.0.1. Nothing inside the hub is mocked: the invitation mail leaves the
outbox signed, the communication-service sends it over SMTP, and the token is read from the mail."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings

from hubkit.testing import (
    ServiceProcess,
    free_port,
    manage,
    recreate_database,
    redis_namespace,
    venv_python,
    wait_until,
)

SERVICE = Path(__file__).resolve().parent.parent
COMMUNICATION = SERVICE.parent / "communication-service"
DEMO_PASSWORD = "dev-insecure-demo-password"
ACME = "0a0e0000-0000-4000-8000-000000000001"
SIGNING_SECRET = "dev-insecure-identity-webhook-secret-e2e"

pytestmark = pytest.mark.xdist_group("e2e-invitations")


@dataclass
class Stack:
    identity: ServiceProcess
    communication: ServiceProcess
    identity_env: dict[str, str]
    identity_database: str
    mail_dir: Path
    logs: Path

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.identity_database, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def token(self, email_address: str) -> str:
        response = httpx.post(
            self.identity.url + "/api/v1/auth/login",
            json={"email": email_address, "password": DEMO_PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def invite(self, email_address: str, role: str = "staff") -> httpx.Response:
        return httpx.post(
            f"{self.identity.url}/api/v1/organizations/{ACME}/invitations",
            json={"email": email_address, "role": role},
            headers={"Authorization": "Bearer " + self.token("owner@acme.test")},
            timeout=10,
        )

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            if address in str(message["To"]):
                found.append(message)
        return found

    def mailed_token(self, address: str, count: int = 1) -> str:
        mails = wait_until(lambda: len(self.mails_to(address)) >= count and self.mails_to(address))
        body = mails[-1].get_body(preferencelist=("plain",))
        assert body is not None
        match = re.search(r"/invitations/accept\?token=([A-Za-z0-9_-]+)", body.get_content())
        assert match, body.get_content()
        return match.group(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run = settings.DATABASES["default"]["NAME"]  # unique per test run and xdist worker
    identity_database = recreate_database(f"{run}_e2e_identity")
    communication_database = recreate_database(f"{run}_e2e_communication")
    ports = {name: free_port() for name in ("identity", "communication", "smtp")}
    identity_url = f"http://127.0.0.1:{ports['identity']}"
    communication_url = f"http://127.0.0.1:{ports['communication']}"
    mail_dir = tmp_path_factory.mktemp("mail")
    logs = tmp_path_factory.mktemp("logs")
    common = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    identity_env = {
        **common,
        "DATABASE_URL": identity_database,
        "IDENTITY_ISSUER": identity_url,
        **redis_namespace("e2e-identity").env(),
        "EVENT_WEBHOOK_URL": communication_url + "/api/v1/events",
        "EVENT_SIGNING_SECRET": SIGNING_SECRET,
        "EVENT_DELIVERY_BACKOFF_BASE_SECONDS": "0.3",
        "EVENT_DELIVERY_BACKOFF_MAX_SECONDS": "1",
        "EVENT_SWEEP_CRON": "* * * * * */2",
        "INVITATION_RATE_LIMIT": "1000",
    }
    communication_env = {
        **common,
        "DATABASE_URL": communication_database,
        **redis_namespace("e2e-communication").env(),
        "IDENTITY_SERVICE_URL": identity_url,
        "IDENTITY_ISSUER": identity_url,
        "IDENTITY_WEBHOOK_SECRETS": SIGNING_SECRET,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ports["smtp"]),
    }
    manage(SERVICE, identity_env, "migrate", "--no-input", "-v", "0")
    manage(SERVICE, identity_env, "seed_demo")
    manage(COMMUNICATION, communication_env, "migrate", "--no-input", "-v", "0")
    sink_log = (logs / "smtp.log").open("wb")
    sink = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            *(venv_python(COMMUNICATION), "-m", "apps.messaging.smtp_sink", "--host", "127.0.0.1"),
            *("--port", str(ports["smtp"]), "--directory", str(mail_dir)),
        ],
        cwd=COMMUNICATION,
        env={**os.environ, **communication_env},
        stdout=sink_log,
        stderr=subprocess.STDOUT,
    )
    worker_log = (logs / "worker.log").open("wb")
    worker = subprocess.Popen(  # noqa: S603 - fixed argv
        [venv_python(SERVICE), "manage.py", "procrastinate", "worker"],
        cwd=SERVICE,
        env={**os.environ, **identity_env, "LOG_LEVEL": "INFO"},  # everything it says is checked
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    identity = ServiceProcess(
        cwd=SERVICE,
        wsgi="config.wsgi:application",
        python=venv_python(SERVICE),
        env={**identity_env, "LOG_LEVEL": "INFO"},
        port=ports["identity"],
        extra_args=["--blocking-threads", "4"],  # two accepts really run at once
    )
    communication = ServiceProcess(
        cwd=COMMUNICATION,
        wsgi="config.wsgi:application",
        python=venv_python(COMMUNICATION),
        env={**communication_env, "LOG_LEVEL": "INFO"},
        port=ports["communication"],
    )
    try:
        identity.start()
        communication.start()
        yield Stack(identity, communication, identity_env, identity_database, mail_dir, logs)
    finally:
        for process in (worker, sink):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        identity.stop()
        communication.stop()
        sink_log.close()
        worker_log.close()


def test_invite_mail_accept_and_log_in(stack: Stack) -> None:
    invited = stack.invite("Newcomer@Example.org", role="manager")
    assert invited.status_code == 201, invited.text
    token = stack.mailed_token("newcomer@example.org")
    mail = stack.mails_to("newcomer@example.org")[0]
    assert "Acme" in str(mail["Subject"])
    assert mail.get_body(preferencelist=("html",)) is not None

    preview = httpx.post(
        stack.identity.url + "/api/v1/invitations/preview", json={"token": token}, timeout=10
    )
    assert preview.status_code == 200
    assert preview.json()["email"] == "newcomer@example.org"
    assert preview.json()["role"] == "manager"
    password = "my own long passphrase"
    accepted = httpx.post(
        stack.identity.url + "/api/v1/invitations/accept",
        json={"token": token, "password": password, "name": "New Comer"},
        timeout=10,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["tokens"]["roles"] == ["manager"]
    login = httpx.post(
        stack.identity.url + "/api/v1/auth/login",
        json={"email": "newcomer@example.org", "password": password},
        timeout=10,
    )
    assert login.status_code == 200
    assert login.json()["organization"]["id"] == ACME
    assert login.json()["roles"] == ["manager"]

    # The outbox row: delivered once, the attempt recorded, the encrypted link wiped.
    rows = stack.query(
        "SELECT status, attempts, secret_data_encrypted, data::text FROM outbox_outboxevent WHERE type = %s"
        " AND data->>'email' = %s",
        "invitation.mail_requested",
        "newcomer@example.org",
    )
    assert [(status, attempts, secret) for status, attempts, secret, _ in rows] == [("delivered", 1, "")]
    assert token not in rows[0][3]
    assert stack.query("SELECT status_code FROM outbox_outboxattempt") != []
    # The token is in the mail only: in no log line of any process, nor in the recorded message.
    worker_output = (stack.logs / "worker.log").read_text(errors="replace")
    assert "outbox" in worker_output  # the worker did log its deliveries
    for output in (worker_output, stack.identity.read_log(), stack.communication.read_log()):
        assert token not in output


def test_two_concurrent_accepts_of_one_link_make_one_membership(stack: Stack) -> None:
    assert stack.invite("racer@example.org").status_code == 201
    token = stack.mailed_token("racer@example.org")
    start = threading.Barrier(2)

    def accept(password: str) -> httpx.Response:
        with httpx.Client(base_url=stack.identity.url, timeout=15) as client:
            start.wait()
            return client.post("/api/v1/invitations/accept", json={"token": token, "password": password})

    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(accept, "first racer's passphrase"),
            pool.submit(accept, "second racer's passphrase"),
        ]
        answers = [future.result() for future in futures]
    assert sorted(a.status_code for a in answers) == [200, 410], [a.text for a in answers]
    assert [a.json()["code"] for a in answers if a.status_code == 410] == ["invitation_invalid"]
    memberships = stack.query(
        "SELECT count(*) FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id"
        " WHERE u.email = %s",
        "racer@example.org",
    )
    assert memberships == [(1,)]


def test_a_resend_mails_a_new_link_and_the_old_one_dies(stack: Stack) -> None:
    invited = stack.invite("resend@example.org")
    old = stack.mailed_token("resend@example.org")
    resent = httpx.post(
        f"{stack.identity.url}/api/v1/organizations/{ACME}/invitations/{invited.json()['id']}/resend",
        headers={"Authorization": "Bearer " + stack.token("owner@acme.test")},
        timeout=10,
    )
    assert resent.status_code == 200
    new = stack.mailed_token("resend@example.org", count=2)
    assert new != old
    body = {"password": "resend passphrase long"}
    url = stack.identity.url + "/api/v1/invitations/accept"
    assert httpx.post(url, json={**body, "token": old}, timeout=10).status_code == 410
    assert httpx.post(url, json={**body, "token": new}, timeout=10).status_code == 200


def test_a_mail_waits_while_the_communication_service_is_down_and_goes_out_after(stack: Stack) -> None:
    stack.communication.stop()
    try:
        assert stack.invite("patient@example.org").status_code == 201
        failed = wait_until(
            lambda: stack.query(
                "SELECT attempts, status, last_error FROM outbox_outboxevent WHERE data->>'email' = %s"
                " AND attempts >= 2",
                "patient@example.org",
            )
        )
        assert failed[0][1] == "pending"
        assert "Connect" in failed[0][2]
        assert stack.mails_to("patient@example.org") == []
    finally:
        stack.communication.start()
    stack.mailed_token("patient@example.org")
    rows = stack.query(
        "SELECT status FROM outbox_outboxevent WHERE data->>'email' = %s", "patient@example.org"
    )
    assert rows == [("delivered",)]


def test_an_mfa_setup_mails_the_user_a_security_notice(stack: Stack) -> None:
    setup = httpx.post(
        stack.identity.url + "/api/v1/auth/mfa/setup",
        json={},
        headers={"Authorization": "Bearer " + stack.token("viewer@acme.test")},
        timeout=10,
    )
    assert setup.status_code == 200, setup.text
    mails = wait_until(lambda: stack.mails_to("viewer@acme.test"))
    assert "Two-factor authentication setup started" in str(mails[0]["Subject"])
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert setup.json()["secret"] not in body.get_content()
