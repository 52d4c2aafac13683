# Seal what was stored in plain text before 0003 (issue 8, finding 7).
#
# Outbox: every manage link (".../manage/<token>/") in a subject or body is replaced by
# the placeholder. A pending row keeps its link sealed, so the customer still gets a
# working link when it is sent; sent and failed rows lose it for good (the customer
# has the e-mail). Idempotency answers are sealed as a whole.
#
# Migrating back restores the kept answers but never the removed links.

import json
import re

from django.db import migrations
from django.db.models import Q

PLACEHOLDER = "[private manage link]"
# An absolute or site-relative manage link, as the e-mail templates wrote it.
MANAGE_LINK = re.compile(r"(?:https?://[^\s\"'<>]*?)?/manage/[A-Za-z0-9_-]+/")


def seal_stored_secrets(apps, schema_editor):
    from bookings import sealing

    Notification = apps.get_model("bookings", "Notification")
    rows = Notification.objects.filter(
        Q(subject__contains="/manage/")
        | Q(body_text__contains="/manage/")
        | Q(body_html__contains="/manage/")
    )
    for row in rows.order_by("pk").iterator(chunk_size=500):
        found = MANAGE_LINK.search(row.body_text) or MANAGE_LINK.search(row.subject)
        if row.status == "pending" and found and not row.sealed_manage_url:
            row.sealed_manage_url = sealing.seal(found.group(0), purpose=sealing.OUTBOX)
        row.subject = MANAGE_LINK.sub(PLACEHOLDER, row.subject)
        row.body_text = MANAGE_LINK.sub(PLACEHOLDER, row.body_text)
        row.body_html = MANAGE_LINK.sub(PLACEHOLDER, row.body_html)
        row.save(update_fields=["subject", "body_text", "body_html", "sealed_manage_url"])

    IdempotencyKey = apps.get_model("bookings", "IdempotencyKey")
    for row in IdempotencyKey.objects.order_by("pk").iterator(chunk_size=500):
        row.sealed_response = sealing.seal(
            json.dumps(row.response_body), purpose=sealing.IDEMPOTENCY
        )
        row.response_body = {}
        row.save(update_fields=["sealed_response", "response_body"])


def unseal_idempotency_answers(apps, schema_editor):
    from bookings import sealing

    IdempotencyKey = apps.get_model("bookings", "IdempotencyKey")
    for row in IdempotencyKey.objects.order_by("pk").iterator(chunk_size=500):
        try:
            row.response_body = sealing.unseal_json(
                row.sealed_response, purpose=sealing.IDEMPOTENCY
            )
        except sealing.Unsealable:
            row.delete()  # a replay cache: an unreadable answer is an expired one
            continue
        row.save(update_fields=["response_body"])


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0003_sealed_secrets'),
    ]

    operations = [
        migrations.RunPython(seal_stored_secrets, unseal_idempotency_answers, elidable=True),
    ]
