"""Core's jobs: importing an uploaded contacts file (queued by `contact_import_start`)."""

import uuid

from procrastinate.contrib.django import app

from apps.core.services.imports import IMPORT_QUEUE, IMPORT_TASK, contact_import_run
from apps.identity.models import Organization


@app.task(queue=IMPORT_QUEUE, name=IMPORT_TASK)
def import_contacts(import_id: str, organization_id: str) -> None:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        contact_import_run(organization=organization, import_id=uuid.UUID(import_id))
