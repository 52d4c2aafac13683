"""Sealing: customer secrets encrypted with keys derived from SECRET_KEY (and its fallbacks),
and the migration that seals what was stored in plain text before."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from bookings import sealing
from bookings.models import IdempotencyKey, Notification

BEFORE = [("bookings", "0003_sealed_secrets")]


def test_a_sealed_value_opens_again_and_shows_nothing_of_itself():
    sealed = sealing.seal("https://book.example/manage/s3cr3t/", purpose=sealing.OUTBOX)

    assert "s3cr3t" not in sealed
    assert sealing.unseal(sealed, purpose=sealing.OUTBOX) == "https://book.example/manage/s3cr3t/"


def test_json_is_sealed_as_a_whole_with_dates_and_decimals():
    value = {"total": Decimal("12.50"), "at": timezone.now(), "token": "t0k3n"}

    sealed = sealing.seal_json(value, purpose=sealing.IDEMPOTENCY)

    assert "t0k3n" not in sealed
    opened = sealing.unseal_json(sealed, purpose=sealing.IDEMPOTENCY)
    assert opened["total"] == "12.50"
    assert opened["token"] == "t0k3n"


def test_a_value_opens_with_a_fallback_key_but_not_after_the_key_is_gone(settings):
    sealed = sealing.seal("secret", purpose=sealing.OUTBOX)
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key", [old_key]
    assert sealing.unseal(sealed, purpose=sealing.OUTBOX) == "secret"

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(sealed, purpose=sealing.OUTBOX)


@pytest.mark.parametrize("sealed", ["", "not a token", "gAAAAABnot-really-a-fernet-token=="])
def test_anything_that_is_not_a_sealed_value_is_unsealable(sealed):
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(sealed, purpose=sealing.OUTBOX)


def test_a_value_sealed_for_one_purpose_does_not_open_for_another():
    sealed = sealing.seal("secret", purpose=sealing.IDEMPOTENCY)

    with pytest.raises(sealing.Unsealable):
        sealing.unseal(sealed, purpose=sealing.OUTBOX)


# -- the migration of what was stored before ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_removes_stored_manage_links_and_seals_the_pending_ones_and_the_answers():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organization = old.get_model("venues", "Organization").objects.create(name="Old", slug="old")
    link = "https://book.example/manage/Pl41nT3xt_t0ken-1/"

    def message(status: str):
        return old.get_model("bookings", "Notification").objects.create(
            organization=organization,
            kind="request_received",
            recipient="ada@example.com",
            subject="We received your request",
            body_text=f"Your private link:\n{link}\nKeep it to yourself.\n",
            body_html=f'<a href="{link}">View</a> or copy <a href="{link}">{link}</a>',
            status=status,
            sent_at=timezone.now() if status == "sent" else None,
        )

    sent_pk, pending_pk = message("sent").pk, message("pending").pk
    old.get_model("bookings", "IdempotencyKey").objects.create(
        scope="key:abc",
        key="k-1",
        request_hash="0" * 64,
        status_code=201,
        response_body={"manage_token": "Pl41nT3xt_t0ken-1", "reference": "VD-AAAAAA"},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    for pk in (sent_pk, pending_pk):
        row = Notification.objects.get(pk=pk)
        assert "Pl41nT3xt_t0ken-1" not in row.body_text + row.body_html + row.subject
        assert row.body_text == "Your private link:\n[private manage link]\nKeep it to yourself.\n"
        assert row.body_html.count("[private manage link]") == 3
    assert Notification.objects.get(pk=sent_pk).sealed_manage_url == ""
    pending = Notification.objects.get(pk=pending_pk)
    assert sealing.unseal(pending.sealed_manage_url, purpose=sealing.OUTBOX) == link
    answer = IdempotencyKey.objects.get()
    assert "Pl41nT3xt_t0ken-1" not in answer.sealed_response
    assert sealing.unseal_json(answer.sealed_response, purpose=sealing.IDEMPOTENCY) == {
        "manage_token": "Pl41nT3xt_t0ken-1",
        "reference": "VD-AAAAAA",
    }
