# The Idempotency-Key answer is kept sealed only (0004 moved the old ones).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0004_seal_stored_secrets'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='idempotencykey',
            name='response_body',
        ),
    ]
