"""End to end: the backend, its worker and both receivers as real processes on 127.0.0.1.

Nothing inside the hub is mocked: events leave the outbox through the procrastinate worker,
signed, to the real communication and workflow services; the workflow service calls the
backend back with its own service token; mail lands in the real SMTP sink.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from apps.events.tests.factories import booking_data
from hubkit.encryption.keys import parse_keys
from hubkit.testing import (
    IdentityService,
    ServiceProcess,
    drop_database,
    free_port,
    manage,
    recreate_database,
    redis_namespace,
    venv_python,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent.parent
BACKEND = ROOT / "backend"
COMMUNICATION = ROOT / "services" / "communication-service"
WORKFLOW = ROOT / "services" / "workflow-intelligence-service"
ACME = "0a0e0000-0000-4000-8000-000000000001"

pytestmark = pytest.mark.xdist_group("e2e")

# Retries (backoff from 0.5 s doubling, capped at 2 s, equal jitter) take 3.75-7.5 s before a
# delivery is dead: long enough for a stopped receiver to start again on a busy machine (with 4
# attempts, 1.75-3.5 s, a slow restart let the delivery die first).
MAX_ATTEMPTS = 6

# The receivers' field encryption keys (they keep messages and envelopes encrypted): set here, so
# the tests can open what they read from the receivers' databases.
RECEIVER_KEYS = {
    "communication": "dev-insecure-e2e-communication:ZGV2LWluc2VjdXJlLWUyZS1jb21tdW5pY2F0aW9uISE=",
    "workflow": "dev-insecure-e2e-workflow:ZGV2LWluc2VjdXJlLWUyZS13b3JrZmxvdy1rZXktMSE=",
}

# Publishes events in one transaction inside the backend, as a domain service would.
PUBLISH = """
from django.db import transaction
from apps.events.services import publish
from apps.identity.models import Organization
org = Organization.objects.get_or_create(id="{org}")[0]
with transaction.atomic():
    for type_, subject_type, subject_id, data in {events!r}:
        publish(organization=org, type=type_, subject_type=subject_type, subject_id=subject_id,
                data=data, actor=None)
"""

# Publishes `per_subject` contact.updated events for each of `subjects` subjects, numbered in
# `last_name` (built inside the backend: a thousand events' data would not fit on a command line).
PUBLISH_SEQUENCES = """
from django.db import transaction
from apps.events.services import publish
from apps.events.tests.factories import contact_updated_data
from apps.identity.models import Organization
org = Organization.objects.get_or_create(id="{org}")[0]
with transaction.atomic():
    for seq in range({per_subject}):
        for subject in range({subjects}):
            publish(organization=org, type="contact.updated", subject_type="contact",
                    subject_id=f"kill-{{subject}}", actor=None,
                    data=contact_updated_data(changed=["last_name"], last_name=str(seq)))
"""


@dataclass
class Hub:
    identity: IdentityService
    backend: ServiceProcess
    communication: ServiceProcess
    workflow: ServiceProcess
    backend_env: dict[str, str]
    databases: dict[str, str]
    mail_dir: Path
    worker: subprocess.Popen[bytes] | None = None
    worker_log: Path | None = None

    def worker_metrics(self) -> str:
        """The worker's own /metrics ("" while it is not listening yet)."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.backend_env['METRICS_PORT']}/metrics").text
        except httpx.ConnectError:
            return ""

    def worker_metric(self, name: str, **labels: str) -> float:
        return _sample(wait_until(self.worker_metrics), name, labels)

    def start_worker(self) -> None:
        assert self.worker_log is not None
        with self.worker_log.open("ab") as log:
            self.worker = subprocess.Popen(  # noqa: S603
                [venv_python(BACKEND), "manage.py", "procrastinate", "worker"],
                cwd=BACKEND,
                env={**os.environ, **self.backend_env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()

    def api(self, email: str) -> httpx.Client:
        token = self.identity.token(email)
        return httpx.Client(
            base_url=self.backend.url, headers={"Authorization": f"Bearer {token}"}, timeout=15
        )

    def query(self, database: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.databases[database], autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def opened(self, database: str, value: str) -> str:
        """A value read from an encrypted column of a receiver's database, decrypted."""
        return parse_keys(RECEIVER_KEYS[database]).decrypt(value).decode() if value else ""

    def backendvenv_python(self, code: str) -> str:
        """Run code inside the backend (Django set up), e.g. to publish a synthetic event."""
        return manage(BACKEND, self.backend_env, "shell", "-c", code).stdout


@pytest.fixture(scope="module")
def hub(
    identity_service: IdentityService, worker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    ports = {name: free_port() for name in ("backend", "communication", "workflow", "smtp", "metrics")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    # Parallel runs never share these databases; each is dropped at the end (and a stale one from
    # a killed run before it is made again).
    run = settings.DATABASES["default"]["NAME"]
    databases = {
        name: recreate_database(f"{run}_e2e_{name}_{worker}")
        for name in ("backend", "communication", "workflow")
    }
    mail_dir = tmp_path_factory.mktemp("mail")
    logs = tmp_path_factory.mktemp("logs")
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "IDENTITY_SERVICE_URL": identity_service.url,
        "IDENTITY_ISSUER": identity_service.url,
    }
    # Each service's cache in this run's and worker's own Redis namespace, emptied at the run's end.
    backend_env = {
        **common,
        **redis_namespace(f"e2e-backend-{worker}").env(),
        "DATABASE_URL": databases["backend"],
        "COMMUNICATION_SERVICE_URL": urls["communication"],
        "WORKFLOW_SERVICE_URL": urls["workflow"],
        "EVENT_DELIVERY_BACKOFF_BASE_SECONDS": "0.5",
        "EVENT_DELIVERY_BACKOFF_MAX_SECONDS": "2",
        "EVENT_DELIVERY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "EVENT_STALLED_WORKER_SECONDS": "4",
        "EVENT_STALLED_SWEEP_CRON": "* * * * * */2",
        "METRICS_PORT": str(ports["metrics"]),  # served by the worker only
    }
    communication_env = {
        **common,
        **redis_namespace(f"e2e-communication-{worker}").env(),
        "DATABASE_URL": databases["communication"],
        "FIELD_ENCRYPTION_KEYS": RECEIVER_KEYS["communication"],
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ports["smtp"]),
    }
    workflow_env = {
        **common,
        **redis_namespace(f"e2e-workflow-{worker}").env(),
        "DATABASE_URL": databases["workflow"],
        "FIELD_ENCRYPTION_KEYS": RECEIVER_KEYS["workflow"],
        "BACKEND_URL": urls["backend"],
    }
    manage(BACKEND, backend_env, "migrate", "--no-input", "-v", "0")
    manage(COMMUNICATION, communication_env, "migrate", "--no-input", "-v", "0")
    manage(WORKFLOW, workflow_env, "migrate", "--no-input", "-v", "0")

    sink_log = (logs / "smtp.log").open("wb")
    sink = subprocess.Popen(  # noqa: S603
        [
            venv_python(COMMUNICATION),
            "-m",
            "apps.messaging.smtp_sink",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["smtp"]),
            "--directory",
            str(mail_dir),
        ],
        cwd=COMMUNICATION,
        env={**os.environ, **communication_env},
        stdout=sink_log,
        stderr=subprocess.STDOUT,
    )
    processes = {
        "backend": ServiceProcess(
            cwd=BACKEND,
            wsgi="config.wsgi:application",
            python=venv_python(BACKEND),
            env=backend_env,
            port=ports["backend"],
        ),
        "communication": ServiceProcess(
            cwd=COMMUNICATION,
            wsgi="config.wsgi:application",
            python=venv_python(COMMUNICATION),
            env=communication_env,
            port=ports["communication"],
        ),
        "workflow": ServiceProcess(
            cwd=WORKFLOW,
            wsgi="config.wsgi:application",
            python=venv_python(WORKFLOW),
            env=workflow_env,
            port=ports["workflow"],
        ),
    }
    for process in processes.values():
        process.start()
    hub = Hub(
        identity=identity_service,
        backend=processes["backend"],
        communication=processes["communication"],
        workflow=processes["workflow"],
        backend_env=backend_env,
        databases=databases,
        mail_dir=mail_dir,
        worker_log=logs / "worker.log",
    )
    hub.start_worker()
    try:
        yield hub
    finally:
        hub.stop_worker()
        for process in processes.values():
            process.stop()
        sink.terminate()
        sink.wait(timeout=10)
        sink_log.close()
        for name in ("backend", "communication", "workflow"):
            drop_database(f"{run}_e2e_{name}_{worker}")


def _sample(text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def _deliveries(hub: Hub, event_id: str) -> dict[str, tuple[str, int]]:
    rows = hub.query(
        "backend", "SELECT destination, status, attempts FROM events_delivery WHERE event_id = %s", event_id
    )
    return {destination: (status, attempts) for destination, status, attempts in rows}


def _event_of(hub: Hub, subject_id: str, type_: str) -> str:
    rows = hub.query(
        "backend", "SELECT id FROM events_event WHERE subject_id = %s AND type = %s", subject_id, type_
    )
    assert len(rows) == 1
    return str(rows[0][0])


def test_a_created_contact_reaches_both_receivers_signed_and_once(hub: Hub) -> None:
    staff = hub.api("staff@acme.test")
    contact = staff.post("/api/v1/contacts", json={"first_name": "Eve", "email": "eve@example.com"}).json()
    event_id = _event_of(hub, contact["id"], "contact.created")
    both = {"communication-service": ("delivered", 1), "workflow-intelligence-service": ("delivered", 1)}
    wait_until(lambda: _deliveries(hub, event_id) == both)
    assert hub.query(
        "communication", "SELECT count(*) FROM messaging_receivedevent WHERE event_id = %s", event_id
    ) == [(1,)]
    [(sealed,)] = hub.query(
        "workflow", "SELECT envelope FROM workflows_receivedevent WHERE id = %s", event_id
    )
    assert "eve@example.com" not in sealed  # the receiver keeps the event encrypted
    envelope = json.loads(hub.opened("workflow", sealed))
    assert envelope["subject"] == {"type": "contact", "id": contact["id"]}
    assert envelope["organization_id"] == ACME
    # The delivery is visible to admins through the API too.
    admin = hub.api("admin@acme.test")
    detail = admin.get(f"/api/v1/events/{event_id}").json()
    assert {d["destination"]: d["status"] for d in detail["deliveries"]} == {k: v[0] for k, v in both.items()}


def test_the_worker_serves_its_metrics_and_receivers_count_receipts(hub: Hub) -> None:
    delivered = {"destination": "communication-service", "outcome": "delivered", "status_class": "2xx"}
    before = hub.worker_metric("hub_event_delivery_attempts_total", **delivered)
    received = {"type": "contact.created", "outcome": "accepted"}
    receipts = _sample(
        httpx.get(hub.communication.url + "/metrics").text, "hub_events_received_total", received
    )
    contact = hub.api("staff@acme.test").post("/api/v1/contacts", json={"first_name": "Mia"}).json()
    event_id = _event_of(hub, contact["id"], "contact.created")
    wait_until(lambda: _deliveries(hub, event_id)["communication-service"] == ("delivered", 1))
    wait_until(lambda: hub.worker_metric("hub_event_delivery_attempts_total", **delivered) - before >= 1)
    worker = hub.worker_metrics()
    assert "hub_event_drain_duration_seconds_bucket" in worker
    assert "hub_event_outbox_backlog" in worker
    assert "hub_db_pool_connections_in_use" in worker  # the worker's own pool
    after = _sample(httpx.get(hub.communication.url + "/metrics").text, "hub_events_received_total", received)
    assert after - receipts == 1
    # The web process does not serve the worker's port, and its /metrics has the backlog too.
    assert "hub_event_outbox_backlog" in httpx.get(hub.backend.url + "/metrics").text


def test_a_receiver_down_for_a_while_gets_the_event_when_it_returns(hub: Hub) -> None:
    hub.communication.stop()
    try:
        contact = hub.api("staff@acme.test").post("/api/v1/contacts", json={"first_name": "Rita"}).json()
        event_id = _event_of(hub, contact["id"], "contact.created")
        # The other receiver is not held up by the one that is down.
        wait_until(
            lambda: _deliveries(hub, event_id).get("workflow-intelligence-service") == ("delivered", 1)
        )
        wait_until(lambda: _deliveries(hub, event_id)["communication-service"][1] >= 2, timeout=20)
        assert _deliveries(hub, event_id)["communication-service"][0] == "pending"
    finally:
        # The retries pause while the receiver starts again: starting a process can take longer
        # than the few attempts this hub's short backoff leaves, and the delivery would end dead.
        hub.stop_worker()
        hub.communication.start()
        hub.start_worker()
    wait_until(lambda: _deliveries(hub, event_id)["communication-service"][0] == "delivered", timeout=30)
    [(status, code)] = hub.query(
        "backend",
        "SELECT a.outcome, a.status_code FROM events_deliveryattempt a"
        " JOIN events_delivery d ON d.id = a.delivery_id"
        " WHERE d.event_id = %s AND d.destination = 'communication-service'"
        " ORDER BY a.number DESC LIMIT 1",
        event_id,
    )
    assert (status, code) == ("delivered", 200)


def test_a_permanently_failing_receiver_ends_dead_and_can_be_redelivered(hub: Hub) -> None:
    hub.workflow.stop()
    try:
        contact = hub.api("staff@acme.test").post("/api/v1/contacts", json={"first_name": "Dora"}).json()
        event_id = _event_of(hub, contact["id"], "contact.created")
        wait_until(
            lambda: _deliveries(hub, event_id).get("workflow-intelligence-service") == ("dead", MAX_ATTEMPTS),
            timeout=40,
        )
        admin = hub.api("admin@acme.test")
        assert event_id in [e["id"] for e in admin.get("/api/v1/events?status=dead").json()["items"]]
    finally:
        hub.workflow.start()
    response = admin.post(f"/api/v1/events/{event_id}/redeliver")
    assert response.status_code == 200, response.text
    wait_until(
        lambda: _deliveries(hub, event_id)["workflow-intelligence-service"] == ("delivered", 1), timeout=30
    )


def test_a_no_show_makes_the_workflow_notify_managers_in_app_and_by_mail(hub: Hub) -> None:
    manager = hub.api("manager@acme.test")
    manager.get("/api/v1/me")  # the manager has used the backend before
    booking_id = "0c0e0000-0000-4000-8000-00000000b001"
    # Scheduling (bookings) is a later issue: the event it will publish is made here directly.
    data = booking_data(booking_id=booking_id, status="no_show")
    hub.backendvenv_python(
        PUBLISH.format(org=ACME, events=[("booking.no_show", "booking", booking_id, data)])
    )

    def manager_notified() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = manager.get("/api/v1/notifications").json()["items"]
        return [n for n in items if (n.get("data") or {}).get("booking_id") == booking_id]

    [notification] = wait_until(manager_notified, timeout=45)
    assert notification["read_at"] is None
    # Only managers: staff of the same organization got nothing.
    staff_items = hub.api("staff@acme.test").get("/api/v1/notifications").json()["items"]
    assert all((n.get("data") or {}).get("booking_id") != booking_id for n in staff_items)

    # The workflow recorded its run, and an email reached the SMTP sink. The run commits after the
    # backend answered the workflow, so the notification can be visible before the run is.
    def runs() -> list[tuple[Any, ...]]:
        return hub.query("workflow", "SELECT status FROM workflows_run WHERE event_type = 'booking.no_show'")

    wait_until(runs)
    assert runs() == [("succeeded",)]

    def mail_to_manager() -> list[Path]:
        return [p for p in hub.mail_dir.glob("*.eml") if "manager@acme.test" in p.read_text(errors="replace")]

    wait_until(mail_to_manager, timeout=45)


def _set_phone(hub: Hub, email: str, phone: str | None) -> str:
    """The user sets their phone at identity-service, as in their profile; returns their user id."""
    response = httpx.patch(
        hub.identity.url + "/api/v1/users/me",
        json={"phone": phone},
        headers={"Authorization": f"Bearer {hub.identity.token(email)}"},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == phone
    return str(response.json()["id"])


def _sms_switch(hub: Hub, email: str, *, enabled: bool | None) -> None:
    cell = {"category": "system", "channel": "sms", "enabled": enabled}
    response = hub.api(email).put("/api/v1/notifications/preferences", json={"items": [cell]})
    assert response.status_code == 200, response.text


def test_a_member_with_a_phone_and_sms_on_gets_a_sent_sms_and_one_without_a_phone_gets_none(hub: Hub) -> None:
    staff_id = _set_phone(hub, "staff@acme.test", "+4915112345678")
    viewer_id = _set_phone(hub, "viewer@acme.test", None)
    try:
        _sms_switch(hub, "staff@acme.test", enabled=True)
        _sms_switch(hub, "viewer@acme.test", enabled=True)
        sent = hub.api("admin@acme.test").post(
            "/api/v1/notifications",
            json={"recipient_ids": [staff_id, viewer_id], "category": "system", "title": "Server moved"},
        )
        assert sent.status_code == 201, sent.text

        def sms_messages() -> list[tuple[Any, ...]]:
            # The texts are encrypted: opened here, then filtered and ordered.
            opened = [
                (hub.opened("communication", name), hub.opened("communication", recipient), *rest)
                for name, recipient, *rest, body in hub.query(
                    "communication",
                    "SELECT recipient_name, recipient, status, reason, provider_message_id, body"
                    " FROM messaging_message WHERE channel = 'sms'"
                    " AND event_type = 'notification.requested'",
                )
                if "Server moved" in hub.opened("communication", body)
            ]
            return sorted(opened) if len(opened) == 2 else []

        staff, viewer = wait_until(sms_messages, timeout=45)
    finally:
        _sms_switch(hub, "staff@acme.test", enabled=None)
        _sms_switch(hub, "viewer@acme.test", enabled=None)
        _set_phone(hub, "staff@acme.test", None)
    # Sent through the provider adapter (its id is the adapter's) to the number the user set.
    assert staff[:4] == ("Sam Staff", "+4915112345678", "sent", "")
    assert staff[4].startswith("log-")
    # No phone: nothing sent, and the reason is on the record.
    assert viewer[:4] == ("Vera Viewer", "", "skipped", "no_phone_number")
    assert not viewer[4]


def test_killing_the_worker_mid_flight_loses_nothing_duplicates_nothing_keeps_order(hub: Hub) -> None:
    subjects, per_subject = 50, 20
    hub.backendvenv_python(PUBLISH_SEQUENCES.format(org=ACME, subjects=subjects, per_subject=per_subject))
    total = subjects * per_subject

    def received(database: str, table: str) -> int:
        rows = hub.query(database, f"SELECT count(*) FROM {table} WHERE event_type = 'contact.updated'")  # noqa: S608
        return int(rows[0][0])

    wait_until(
        lambda: received("communication", "messaging_receivedevent") >= total // 5, timeout=60, interval=0.05
    )
    hub.kill_worker()
    received_when_killed = received("communication", "messaging_receivedevent")
    assert received_when_killed < total  # the worker really died mid-flight
    hub.start_worker()

    def all_delivered() -> bool:
        rows = hub.query(
            "backend",
            "SELECT count(*) FROM events_delivery d JOIN events_event e ON e.id = d.event_id"
            " WHERE e.subject_id LIKE 'kill-%%' AND d.status = 'delivered'",
        )
        return bool(rows[0][0] == 2 * total)

    wait_until(all_delivered, timeout=240, interval=0.5)
    assert received("communication", "messaging_receivedevent") == total
    # The envelopes are encrypted: opened here, in the order the receiver first saw the events.
    envelopes = [
        json.loads(hub.opened("workflow", sealed))
        for (sealed,) in hub.query(
            "workflow",
            "SELECT envelope FROM workflows_receivedevent"
            " WHERE type = 'contact.updated' ORDER BY received_at, id",
        )
    ]
    killed = [e for e in envelopes if e["subject"]["id"].startswith("kill-")]
    assert len(killed) == total
    # Order per subject, as each receiver first saw the events.
    seen: dict[str, list[int]] = {}
    for event in killed:
        seen.setdefault(event["subject"]["id"], []).append(int(event["data"]["contact"]["last_name"]))
    assert len(seen) == subjects
    assert all(seqs == list(range(per_subject)) for seqs in seen.values())


def test_erasing_a_contact_blanks_what_both_receivers_kept_about_them(hub: Hub) -> None:
    staff = hub.api("staff@acme.test")
    erased, kept = (
        staff.post(
            "/api/v1/contacts", json={"first_name": name, "email": f"{name.lower()}@example.com"}
        ).json()
        for name in ("Erin", "Keith")
    )
    bookings = []
    for contact in (erased, kept):
        data = booking_data()
        data["contact"] |= {
            "id": contact["id"],
            "first_name": contact["first_name"],
            "email": contact["email"],
        }
        bookings.append(("booking.confirmed", "booking", data["booking"]["id"], data))
    hub.backendvenv_python(PUBLISH.format(org=ACME, events=bookings))
    both = {"communication-service": ("delivered", 1), "workflow-intelligence-service": ("delivered", 1)}
    event_ids = [_event_of(hub, booking_id, "booking.confirmed") for _, _, booking_id, _ in bookings]
    wait_until(lambda: all(_deliveries(hub, event_id) == both for event_id in event_ids))

    def message_recipients(contact_id: str) -> list[str]:
        rows = hub.query(
            "communication", "SELECT recipient FROM messaging_message WHERE contact_id = %s", contact_id
        )
        return [hub.opened("communication", value) for (value,) in rows]

    def envelopes(contact_id: str) -> list[str]:
        rows = hub.query(
            "workflow",
            "SELECT envelope FROM workflows_receivedevent"
            " WHERE contact_id = %s AND type = 'booking.confirmed'",
            contact_id,
        )
        return [value for (value,) in rows]

    assert message_recipients(erased["id"]) == [erased["email"]]
    assert [
        json.loads(hub.opened("workflow", v))["data"]["contact"]["email"] for v in envelopes(erased["id"])
    ] == [erased["email"]]

    response = hub.api("manager@acme.test").post(f"/api/v1/contacts/{erased['id']}/erase")
    assert response.status_code == 200, response.text
    erasure_id = _event_of(hub, erased["id"], "contact.erased")
    wait_until(lambda: _deliveries(hub, erasure_id) == both)

    assert message_recipients(erased["id"]) == [""]
    assert envelopes(erased["id"]) == ["{}"]
    # The other contact's records keep what they were sent and received with.
    assert message_recipients(kept["id"]) == [kept["email"]]
    assert len(envelopes(kept["id"])) == 1
    assert json.loads(hub.opened("workflow", envelopes(kept["id"])[0]))["data"]["contact"]["id"] == kept["id"]
